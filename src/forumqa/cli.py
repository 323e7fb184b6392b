"""`forumqa` on the command line: a thin layer over the Engine; errors become one line on stderr and exit 1."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from forumqa.config import RetrievalMode, Settings
from forumqa.documents import PARTLY_READ
from forumqa.errors import ForumQAError, describe_invalid

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Answer questions about a folder of forum texts, quoting them exactly.")

DocumentsOpt = Annotated[Path | None, typer.Option("--documents-dir", help="Folder of documents [env FORUMQA_DOCUMENTS_DIR]")]
IndexOpt = Annotated[Path | None, typer.Option("--index-dir", help="Folder of the built index [env FORUMQA_INDEX_DIR]")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name or path [env FORUMQA_MODEL]")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _settings(documents_dir: Path | None, index_dir: Path | None, model: str | None, **extra: Any) -> Settings:
    overrides = {
        k: v for k, v in {"documents_dir": documents_dir, "index_dir": index_dir, "model": model, **extra}.items() if v is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise _fail(ForumQAError(f"invalid setting: {describe_invalid(error.errors())}")) from None


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


@app.command()
def index(
    documents_dir: DocumentsOpt = None, index_dir: IndexOpt = None, model: ModelOpt = None, full: bool = False, as_json: JsonOpt = False
) -> None:
    """Build or refresh the index from the documents folder (only new texts are embedded)."""
    from forumqa.embedding import SentenceTransformerEmbedder
    from forumqa.index import build_index

    settings = _settings(documents_dir, index_dir, model)
    try:
        report = build_index(settings, SentenceTransformerEmbedder(settings.model, settings.device, settings.batch_size), full=full)
    except ForumQAError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    for skipped in report.skipped:
        # a file read in part (one bad post left out) says so in its reason; "skipped" is for files left out whole
        typer.echo(
            f"{skipped.source}: {skipped.reason}"
            if skipped.reason.startswith(PARTLY_READ)
            else f"skipped {skipped.source}: {skipped.reason}",
            err=True,
        )
    if report.full_rebuild_reason:
        typer.echo(f"full rebuild: {report.full_rebuild_reason}", err=True)
    typer.echo(
        f"indexed {report.documents} documents, {report.chunks} chunks, {report.sentences} sentences in {report.seconds:.1f}s "
        f"({len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, {report.unchanged} unchanged; "
        f"{report.embedded} texts embedded)"
    )


@app.command()
def ask(
    question: str,
    history: Annotated[list[str] | None, typer.Option("--history", help="An earlier question of the conversation (repeatable)")] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=50)] = None,
    mode: Annotated[str | None, typer.Option(help="hybrid, dense or bm25")] = None,
    documents_dir: DocumentsOpt = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question with a verbatim quote and numbered citations."""
    from forumqa.answer_text import terminal_text
    from forumqa.engine import Engine

    try:
        settings = _settings(documents_dir, index_dir, model, retrieval=mode)
        result = Engine.open(settings).ask(question, history or [], top_k)
    except ForumQAError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
        return
    typer.echo(terminal_text(result))


@app.command("eval")
def evaluate_command(
    questions: Annotated[list[Path], typer.Argument(help="JSONL files of {q, expect, doc, kind[, author, short, split]}")],
    documents_dir: DocumentsOpt = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="List the questions that went wrong")] = False,
    modes: Annotated[list[str] | None, typer.Option("--mode", help="Retrieval modes to compare (default: all three)")] = None,
) -> None:
    """Answer accuracy, top-1 source, abstention, author, short answer and latency, per retrieval mode and per question-set half."""
    from forumqa.engine import Engine
    from forumqa.evaluation import evaluate, format_reports, load_questions, splits

    known: tuple[RetrievalMode, ...] = ("bm25", "dense", "hybrid")
    chosen = [m for m in known if modes is None or m in modes]
    try:
        engine = Engine.open(_settings(documents_dir, index_dir, model), build_if_missing=True)
        items = [q for path in questions for q in load_questions(path)]
        reports = {half: [evaluate(engine, subset, mode) for mode in chosen] for half, subset in splits(items).items()}
    except ForumQAError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps({half: [asdict(r) for r in rs] for half, rs in reports.items()}, indent=2))
        return
    typer.echo(f"{len(items)} questions from {', '.join(str(p) for p in questions)}")
    typer.echo(format_reports(reports))
    if show_failures:
        for half, rs in reports.items():
            for r in rs:
                for failure in r.failures:
                    typer.echo(f"  [{half} {r.mode}] {failure}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind [env FORUMQA_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [env FORUMQA_PORT]")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Re-index when files in the documents folder change")] = False,
    documents_dir: DocumentsOpt = None,
    index_dir: IndexOpt = None,
    model: ModelOpt = None,
) -> None:
    """Serve the API and the chat page (builds the index first if there is none)."""
    import uvicorn

    from forumqa.api import create_app
    from forumqa.logs import configure_logging

    # Before the app starts, so that a build at start-up and the watcher's re-indexing are logged.
    configure_logging()
    settings = _settings(documents_dir, index_dir, model, host=host, port=port)
    try:
        application = create_app(settings, watch=watch)
    except ForumQAError as error:
        raise _fail(error) from None
    typer.echo(f"forumqa serving on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


feedback_app = typer.Typer(no_args_is_help=True, help="The thumbs up/down readers gave the page's answers.")
app.add_typer(feedback_app, name="feedback")


@feedback_app.command("export")
def feedback_export(
    index_dir: IndexOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout)")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Also the helpful ones")] = False,
) -> None:
    """The unhelpful answers as an eval question set to review (JSON Lines; see forumqa.feedback for the fields)."""
    from forumqa.feedback import FeedbackStore, export_lines

    settings = _settings(None, index_dir, None)
    try:
        entries = FeedbackStore.beside(settings.index_dir).entries(None if everything else False)
        if out is None:
            typer.echo(export_lines(entries), nl=False)
            return
        out.write_text(export_lines(entries), encoding="utf-8")
    except (ForumQAError, OSError) as error:
        raise _fail(error) from None
    typer.echo(f"wrote {len(entries)} questions to {out}", err=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
