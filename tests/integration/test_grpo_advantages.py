"""Through TRL's own advantage computation: one real GRPO step on a tiny random-weight model, with the
completions of the group scripted (TRL's `rollout_func`), rewarded by `ReconReward` on a fake reconstructor.
An empty completion must get a negative advantage (TRL gives a `None` reward exactly 0)."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig
from recon.method.rewards import ReconReward
from recon.types import Example, Turn

pytestmark = pytest.mark.slow            # importing TRL and transformers takes ~15 s on the 2-core CPU

EX = Example(id="p1", domain="council", individual="Ann", conversation_id="c1", turn_index=2,
             context=(Turn("Bob", "Should we fund the stadium?"),),
             action="No, the library needs the money far more than the stadium does this year.")
WORDS = ["[PAD]", "[EOS]", "[UNK]"] + "she thinks books matter is tired of sports".split()


def tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", eos_token="[EOS]", unk_token="[UNK]")


def test_an_empty_completion_gets_a_negative_advantage_from_trl(tmp_path, monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = tiny_tokenizer()
    ids = {w: i for i, w in enumerate(WORDS)}
    group = ["she thinks books matter", "", "she is tired", "she thinks sports matter"]
    scripted = [[ids[w] for w in text.split()] or [ids["[EOS]"]] for text in group]   # "" = the EOS token alone

    def rollout(prompts, trainer):
        return {"prompt_ids": [tokenizer(p)["input_ids"] for p in prompts], "completion_ids": scripted,
                "logprobs": None}

    reward = ReconReward(BackendConfig(spec="fake"))
    logprobs = {"books": -20.0, "tired": -35.0, "sports": -31.0}
    reward._built = {reward.reconstructor: FakeBackend(scorer=lambda r: next(
        (v for k, v in logprobs.items() if k in r.messages[-1].content), -30.0))}
    seen = []

    def recon_reward(prompts, completions, **kwargs):        # the reward as TRL calls it, recording what it saw
        seen.append((list(completions), reward(prompts, completions, **kwargs)))
        return seen[-1][1]

    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(WORDS), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=64, pad_token_id=0, eos_token_id=1))
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=8, logging_steps=1, save_strategy="no", report_to="none", use_cpu=True,
                      disable_tqdm=True, seed=0)
    data = Dataset.from_list([{"prompt": "she thinks", "example": json.dumps(EX.to_json())}] * 4)
    trainer = GRPOTrainer(model=model, reward_funcs=[recon_reward], args=args, train_dataset=data,
                          processing_class=tokenizer, rollout_func=rollout)
    trainer.train()

    [(completions, rewards)] = seen
    assert completions == group
    advantages = list(trainer._logs["advantages"])
    assert len(advantages) == 4
    empty = advantages[1]
    assert empty < 0, f"an empty completion got advantage {empty} (rewards {rewards})"
    assert all(empty < a for i, a in enumerate(advantages) if i != 1)
