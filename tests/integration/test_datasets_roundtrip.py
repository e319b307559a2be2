"""Parquet in, TRL-ready chat data out: convert → synthesize (fake backend) → export → `datasets.load_from_disk`
→ one step of TRL's SFTTrainer on a tiny random-weight model built here (no download)."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recon.cli.main import main

pytestmark = pytest.mark.slow

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def byte_tokenizer():
    """A byte-level tokenizer with a chat template, built in memory."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>",
                                   chat_template=CHAT_TEMPLATE)
    fast.add_special_tokens({"additional_special_tokens": ["<|system|>", "<|user|>", "<|assistant|>"]})
    return fast


def one_sft_step(dataset, tmp_path) -> float:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import SFTConfig, SFTTrainer

    torch.manual_seed(0)
    tokenizer = byte_tokenizer()
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                         max_position_embeddings=4096, pad_token_id=tokenizer.pad_token_id,
                                         eos_token_id=tokenizer.eos_token_id))
    args = SFTConfig(output_dir=str(tmp_path / "trainer"), max_steps=1, per_device_train_batch_size=2,
                     max_length=4096, logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
                     disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    assert trainer.state.global_step == 1
    return trainer.state.log_history[0]["loss"]


@pytest.mark.parametrize("fmt", ["chat", "prompt-completion"])
def test_parquet_to_trl_round_trip(tmp_path, fmt):
    from datasets import load_from_disk

    rows = [{"history": [f"Why option {i}?", f"Because {i} is cheap.", "And the risk?"],
             "response": f"The risk of option {i} is small, I think.", "user": "ann" if i % 2 else "bea",
             "thread": f"t{i}"} for i in range(6)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "forum.parquet")
    pairs, traces, out = tmp_path / "pairs.jsonl", tmp_path / "bw.jsonl", tmp_path / "augmented"
    assert main(["data", "convert", str(tmp_path / "forum.parquet"), "--map", "context=history",
                 "action=response", "individual=user", "conversation_id=thread", "--speaker-field",
                 "alternate:Moderator,Member", "--out", str(pairs)]) == 0
    assert main(["synthesize", "--data", str(pairs), "--method", "backward", "--dry-run", "--out", str(traces)]) == 0
    assert main(["export", "--data", str(pairs), "--traces", str(traces), "--format", fmt, "--out", str(out)]) == 0

    dataset = load_from_disk(str(out / "dataset"))
    assert len(dataset) == 6
    reasoning = {json.loads(line)["id"]: json.loads(line)["reasoning"] for line in traces.read_text().splitlines()}
    first = dataset[0]
    turns = first["messages"] if fmt == "chat" else first["prompt"] + first["completion"]
    assert [t["role"] for t in turns] == ["system", "user", "assistant"]
    assert turns[-1]["content"] == f"<reasoning>{reasoning[first['id']]}</reasoning>\n{rows[0]['response']}"
    assert "Moderator: And the risk?" in turns[1]["content"]
    assert math.isfinite(one_sft_step(dataset, tmp_path))
