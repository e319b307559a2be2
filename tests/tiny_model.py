"""A tiny random-weight causal LM built in the test (no download): a byte-level tokenizer with a chat template
and a 2-layer Llama of a few hundred KB. It runs through the hf backend, TRL and the pipeline exactly as a real
model does; its text is noise, which is all a test of our code needs.

    >>> folder = make_tiny_model(Path(getfixture("tmp_path")) / "tiny")
    >>> sorted(p.name for p in folder.iterdir() if p.suffix == ".json")[:2]
    ['config.json', 'generation_config.json']
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")
SPECIALS = ["<pad>", "<s>", "</s>"]


def tiny_tokenizer():
    """Byte-level BPE without merges: 256 byte tokens + 3 specials; encodes any text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for ch in sorted(alphabet):
        vocab[ch] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>", eos_token="</s>")
    tok.chat_template = CHAT_TEMPLATE
    return tok


def make_tiny_model(folder: Path, *, seed: int = 0, layers: int = 2, hidden: int = 32) -> Path:
    """Write a tiny Llama and its tokenizer to `folder` (an `hf:` model directory) and return it."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
    tok = tiny_tokenizer()
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=4096, pad_token_id=tok.pad_token_id,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    with torch.no_grad():          # logits with a spread of a few nats: samples vary, and greedy text is not flat
        model.model.embed_tokens.weight.normal_(0.0, 1.0)
        model.lm_head.weight.normal_(0.0, 0.4)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    GenerationConfig(pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                     eos_token_id=tok.eos_token_id).save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return folder


def make_tiny_embedder(folder: Path, *, seed: int = 0, hidden: int = 32) -> Path:
    """Write a tiny random BERT as a sentence-transformers model (transformer, mean pooling, normalisation)."""
    import json

    import torch
    from transformers import BertConfig, BertModel
    tok = tiny_tokenizer()
    config = BertConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=1,
                        num_attention_heads=2, max_position_embeddings=256, pad_token_id=tok.pad_token_id)
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    BertModel(config).save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": hidden,
                                                                   "pooling_mode_mean_tokens": True}))
    (folder / "2_Normalize").mkdir(exist_ok=True)
    return folder
