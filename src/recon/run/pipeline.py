"""`recon run CONFIG`: the whole experiment — data → synthesize → (train) → predict → evaluate → report —
with artifacts under runs/NAME/ and a record per stage under runs/NAME/stages/.

Before anything is written, the whole config is checked (`run_checks`); then the run holds its folder (one
writer per folder, `output_lock`). A stage whose inputs (file contents and the config parts it reads) are
unchanged since it last finished *without a failed LM call*, and whose outputs are still the bytes it wrote,
is skipped; a stage with transient failures is incomplete and runs again, its finished calls coming from
the cache. So re-running is resuming: a broken run continues where it stopped, an incomplete one pays only
for the calls that failed, and a finished run re-run makes no backend calls at all.

The data stage on a generated corpus (tests/integration/test_pipeline.py runs whole experiments)::

    >>> from recon.bench.corpus_files import write_corpus
    >>> tmp = Path(getfixture("tmp_path"))
    >>> _ = write_corpus(tmp, individuals=2, pairs=6, seed=0, test_fraction=1 / 3)
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["train.jsonl"], "test": ["test.jsonl"],
    ...                                 "limit_test_per_individual": 1}, "methods": ["none"], "out": str(tmp / "run")})
    >>> pipeline = Pipeline(cfg, tmp, db=Database(tmp / "db.sqlite3"))
    >>> train, test = pipeline.data()
    >>> len(load_examples([test])), pipeline.result.ran
    (2, ['data'])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from recon.atomicio import write_json_atomic, write_jsonl_atomic
from recon.backends.registry import build_backend, redact_secrets
from recon.config import BackendConfig, RunConfig
from recon.data.corpus import load_examples
from recon.data.sample import SAMPLE_RULE, sample_per_individual
from recon.data.splits import split_examples
from recon.data.trace_records import trace_map
from recon.errors import BackendError
from recon.hashing import file_hash
from recon.jobs.context import JobContext
from recon.methods import method_spec, selection_scorer
from recon.output_lock import hold_output
from recon.paths import GRPO_META, SFT_META
from recon.progress import Progress, silent_progress
from recon.provenance import git_sha
from recon.run.checks import check_run, run_folder
from recon.run.explorer_page import VIEW_FILE, write_explorer
from recon.run.parity import Parity, decide_parity
from recon.run.result import PipelineResult
from recon.run.stage_log import logged_run, note, stage_ended, stage_started
from recon.run.stage_records import output_files, read_record, stage_key, stage_verdict, write_run_results
from recon.run.trained_models import TrainedModels
from recon.store.calls import last_call_id, new_run_id, run_cost
from recon.store.db import Database
from recon.store.failures import CallFailures


class Pipeline(TrainedModels):
    def __init__(self, cfg: RunConfig, root: Path, *, db: Database | None = None, force: bool = False,
                 progress: Progress | None = None, backend_factory=build_backend, embedder=None,
                 log: Callable[[str], None] | None = None):
        self.cfg, self.root, self.force = cfg, root, force
        self.out = run_folder(cfg)
        self.db = db or Database()
        self.progress = progress or silent_progress
        self.backend_factory, self.embedder, self.log = backend_factory, embedder, log or note
        self.result = PipelineResult(out=self.out, run=new_run_id())

    # -- stage bookkeeping -------------------------------------------------------------------------------
    def _stage(self, name: str, inputs: dict, outputs: list[Path],
               work: Callable[[], CallFailures | None]) -> None:
        """Run `work` unless it finished before with these inputs and left these outputs (sizes and hashes in
        its record); record whether it is complete now."""
        record = self.out / "stages" / f"{name.replace(':', '_')}.json"
        inputs, key = stage_key(inputs)
        last = read_record(record) if not self.force and all(p.exists() for p in outputs) else {}
        skip, say = stage_verdict(last, key, outputs, self.out)
        if say is not None:
            self.log(f"{name}: {say}")
        stage_started(name, key, skip)
        if skip:
            self.result.skipped.append(name)
            self.result.stages[name] = None
            return
        t0 = time.perf_counter()
        before = last_call_id(self.db)
        failures = work() or CallFailures()
        cost, seconds = run_cost(self.db, self.result.run, after_id=before), time.perf_counter() - t0
        stage_ended(name, seconds, failures)
        write_json_atomic(record, {"stage": name, "key": key, "inputs": inputs, "git_sha": git_sha(),
                                   "run": self.result.run, "seconds": round(seconds, 2),
                                   "outputs": output_files(outputs, self.out), "cost_this_time": cost.__dict__,
                                   **failures.to_json()})
        self.result.ran.append(name)
        self.result.stages[name] = failures
        if failures.all_failed:
            raise BackendError(f"{name}: all {failures.calls} of its LM calls failed ({'; '.join(failures.errors)}); "
                               "nothing was produced to build on: check the backend, then run again")

    def context(self, progress: Callable[[int], None] | None = None) -> JobContext:
        """What the run's jobs run in: its database, run id, backend factory and embedder."""
        return JobContext(database=self.db, run=self.result.run, backend_factory=self.backend_factory,
                          progress=progress, embedder=self.embedder)

    # -- stages ------------------------------------------------------------------------------------------
    def data(self) -> tuple[Path, Path]:
        d = self.cfg.data
        train_out, test_out = self.out / "data/train.jsonl", self.out / "data/test.jsonl"
        files = {p: file_hash(self.root / p) for p in d.train + (d.test or [])}

        def work():
            train = load_examples([self.root / p for p in d.train])
            if d.test is not None:
                test = load_examples([self.root / p for p in d.test])
            else:
                train, test = split_examples(train, test_fraction=d.split.test_fraction, seed=d.split.seed,
                                             by=d.split.by)
            train = sample_per_individual(train, d.limit_train_per_individual, seed=self.cfg.seed)
            test = sample_per_individual(test, d.limit_test_per_individual, seed=self.cfg.seed)
            write_jsonl_atomic(train_out, (e.to_json() for e in train))
            write_jsonl_atomic(test_out, (e.to_json() for e in test))
        self._stage("data", {"files": files, "data": d.model_dump(), "sample": [SAMPLE_RULE, self.cfg.seed]},
                    [train_out, test_out], work)
        return train_out, test_out

    def synthesize(self, method: str, train_path: Path) -> Path | None:
        spec = method_spec(method)
        out = self.traces_path(method)
        if out is None:                           # e2e-grpo: the policy acts itself (train_and_predict), no traces
            return None
        cfg, models = self.cfg, self.cfg.models
        policy = self.grpo_policy(spec.policy, train_path) if spec.policy else None
        synthesizer = BackendConfig(spec=f"hf:{policy}") if policy else models.synthesizer

        def work():
            train = load_examples([train_path])
            from recon.jobs.synthesize import run_recon_select, run_synthesis
            with self.progress(f"synthesize {method}", len(train)) as advance:
                if spec.selects:             # recon-select[:SCORER], the controls and recon-grpo-select
                    scorer = selection_scorer(method, cfg.recon_select.scorer)
                    select = cfg.recon_select.model_copy(update={"scorer": scorer})
                    judge = models.judge if isinstance(models.judge, BackendConfig) else None
                    return run_recon_select(self.context(advance), train, select, synthesis=cfg.synthesis,
                                            synthesizer=synthesizer, judge=judge,
                                            reconstructor=models.reconstructor or models.synthesizer,
                                            out=out, label=spec.name).failures
                synth = cfg.synthesis.model_copy(update={"method": spec.prompt})
                summary, _ = run_synthesis(self.context(advance), train, synthesizer, synth, out=out, label=method,
                                           leakage=cfg.recon_select.leakage)     # one configuration per run
                return summary.failures
        inputs = {"train": file_hash(train_path), "method": method, "synthesis": cfg.synthesis.model_dump(),
                  "recon_select": cfg.recon_select.model_dump() if spec.selects else None,
                  "models": self.cfg.models.model_dump(), "leakage": cfg.recon_select.leakage.model_dump(),
                  "policy": file_hash(policy / GRPO_META) if policy else None}
        self._stage(f"synthesize:{method}", inputs, [out], work)
        return out

    def parity(self, traces: dict[str, Path | None], train_path: Path, test_path: Path) -> Parity:
        """One decision for every predicted method: the training pairs all of them have a trace for, and each
        test pair's demonstrations (recorded in parity.json)."""
        maps = {m: trace_map(traces[m]) for m in self.cfg.predicted_methods}
        return decide_parity(load_examples([train_path]), load_examples([test_path]), maps, self.cfg.user_model,
                             out=self.out / "parity.json", embedder=self.embedder)

    def train_and_predict(self, method: str, traces: Path | None, train_path: Path, test_path: Path,
                          parity: Parity) -> Path:
        from recon.jobs.predict import run_predict
        from recon.run.grpo_stages import checkpoint_backend
        um = self.cfg.user_model
        out = self.out / "preds" / f"{method}.jsonl"
        traces_of = trace_map(traces)
        inputs = {"train": file_hash(train_path), "test": file_hash(test_path), **self._user_model_inputs(
            method, traces, parity)}
        user_model, backend_cfg = "icl", self.cfg.models.user_model
        trained = None
        spec = method_spec(method)
        if spec.user_model == "policy":          # the E2E policy is the user model (it was trained to act)
            assert spec.policy is not None and spec.warm_start is not None, "an acting policy has a warm start"
            start = self.sft_user_model(spec.warm_start, None, train_path, parity)
            trained = self.grpo_policy(spec.policy, train_path, start=start)
            inputs["checkpoint"] = file_hash(trained / GRPO_META)
        elif um.kind == "sft":
            trained = self.sft_user_model(method, traces, train_path, parity)
            inputs["checkpoint"] = file_hash(trained / SFT_META)
        if trained is not None:                  # every checkpoint predicts alike (run/grpo_stages.py)
            user_model, backend_cfg = f"sft:{trained}", checkpoint_backend(self.cfg, trained)

        def work():
            train = load_examples([train_path])
            test = load_examples([test_path])
            trained_on = None
            if trained is not None:                # the guard holds here too (the split keeps it from firing)
                from recon.training.sft import read_sft_meta
                trained_on = read_sft_meta(trained).get("train_conversations")
            with self.progress(f"predict {method}", len(test)) as advance:
                return run_predict(self.context(advance), test, train=train, traces=traces_of, method=method,
                                   user_model=user_model, backend_config=backend_cfg, cfg=um, out=out,
                                   demos=parity.demos if user_model == "icl" else None,
                                   train_conversations=trained_on).failures
        self._stage(f"predict:{method}", inputs, [out], work)
        return out

    def evaluate(self, preds: dict[str, Path], traces: dict[str, Path], test_path: Path, parity: Parity) -> None:
        from recon.config import PairJudgeConfig
        from recon.evaluation.grid import baseline_pairs
        from recon.evaluation.report import write_report
        from recon.evaluation.setup_block import run_setup
        from recon.jobs.evaluate import evaluation_folder, run_evaluate
        from recon.run.grpo_stages import grid_setup
        eval_dir = self.out / "eval"
        names = self.cfg.predicted_methods
        compare = [(a, b) for a, b in self.cfg.compare] or [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        compare += baseline_pairs(names, compare, self.cfg.report.baseline)   # the methods × domains table
        judge_spec = self.cfg.models.judge
        inputs = {"test": file_hash(test_path), "preds": {m: file_hash(p) for m, p in preds.items()},
                  "traces": {m: file_hash(p) for m, p in traces.items()}, "compare": compare,
                  "judge": self.cfg.judge.model_dump(), "judge_model": judge_spec if isinstance(judge_spec, str)
                  else judge_spec.model_dump(), "seed": self.cfg.seed, "parity": parity.summary()}

        def work():
            test = load_examples([test_path])
            judge_backend = None
            judge_cfg = self.cfg.judge
            if isinstance(judge_spec, BackendConfig):
                judge_cfg = judge_cfg.model_copy(update={"kind": "lm"})
                judge_backend = self.context().open(judge_spec, "evaluate:judge")
            elif judge_cfg.kind != "embedding":
                judge_cfg = PairJudgeConfig.model_validate({**judge_cfg.model_dump(), "kind": "embedding"})
            with evaluation_folder(eval_dir) as folder, self.progress("evaluate", len(test)) as advance:
                result = run_evaluate(self.context(advance), test, preds, compare=compare, judge_cfg=judge_cfg,
                                      judge_backend=judge_backend, out=folder, traces=traces, seed=self.cfg.seed,
                                      test_paths=[str(test_path)], parity=parity.summary(),
                                      setup={**run_setup(self.cfg, self.root), **grid_setup(self.cfg, self.out)})
                write_report(result, test, preds, seed=self.cfg.seed,      # the whole eval/ set, or none of it
                             explorer=f"../{VIEW_FILE}")
            return result.failures
        self._stage("evaluate", inputs, [eval_dir / "results.json", eval_dir / "report.html"], work)
        self.result.report = eval_dir / "report.html"

    # -- all of it ----------------------------------------------------------------------------------------
    def traces_path(self, method: str) -> Path | None:
        return self.out / "traces" / f"{method}.jsonl" if method_spec(method).traces else None

    def run(self) -> PipelineResult:
        """Check the config, hold the run folder (one writer per folder), then run every stage."""
        t0 = time.perf_counter()
        check_run(self.cfg, self.root, backend_factory=self.backend_factory)     # before anything is written
        with hold_output(self.out, log=self.log):
            self.out.mkdir(parents=True, exist_ok=True)
            with logged_run(self.out, self.cfg.name, self.result):
                write_json_atomic(self.out / "config.json", redact_secrets(self.cfg.model_dump()))
                train_path, test_path = self.data()
                traces = {m: self.synthesize(m, train_path) for m in self.cfg.methods}
                parity = self.parity(traces, train_path, test_path)
                preds = {m: self.train_and_predict(m, traces[m], train_path, test_path, parity)
                         for m in self.cfg.predicted_methods}
                self.evaluate(preds, {m: p for m, p in traces.items() if p is not None and m in preds}, test_path,
                              parity)
                results = write_run_results(self.out, self.out / "eval" / "results.json", self.result.incomplete,
                                            self.result.training_warnings())
                write_explorer(self.out)              # view.html: the run pair by pair (recon view)
        from recon.evaluation.winrate import Comparison
        self.result.comparisons = [Comparison.from_json(c) for c in results.comparisons]
        self.result.seconds = time.perf_counter() - t0
        return self.result
