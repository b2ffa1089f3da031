"""``ticketbuddy check ...``: measure TicketBuddy on real, human-labelled public data.

The data are public samples the project does not ship (see ``docs/EVALUATION.md`` for sources and
licences). Tables go to stdout in Markdown, progress to stderr, and every figure to ``--out-json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Check TicketBuddy's learning on real, human-labelled data.", no_args_is_help=True)

OutJson = Annotated[Path | None, typer.Option("--out-json", help="Also write the figures to this JSON file.")]


def _csv(help_text: str) -> Any:
    return typer.Option(help=help_text, exists=True, dir_okay=False, readable=True)


@app.command()
def routes(
    train: Annotated[Path, _csv("Training CSV: 'Consumer complaint narrative', 'Product'.")],
    test: Annotated[Path, _csv("Test CSV, same columns.")],
    out_json: OutJson = None,
    params: Annotated[
        Path | None,
        typer.Option(help="Hyper-parameters (the train section).", show_default="the project's params.yaml"),
    ] = None,
) -> None:
    """Learn routes (route = product) from CFPB narratives: TicketBuddy's pipeline vs a TF-IDF baseline.

    Both models train on --train and are scored on --test: macro-F1, accuracy, per-product F1, and the
    same split by whether the text encoder had to truncate the narrative. The baseline's settings are
    chosen on a validation split of --train, never on --test. Embedding the narratives takes most of
    the first run: about ten minutes for 13,000 CFPB narratives on two busy cores; a rerun reads them
    from the training-time embedding cache.
    """
    from ticketbuddy.train.params import load_params
    from ticketbuddy.train.realdata import compare_routes
    from ticketbuddy.train.realdata_report import routes_markdown

    routes_params = load_params(params).train
    _report(lambda: compare_routes(train, test, routes_params, progress=_progress), routes_markdown, out_json)


@app.command()
def sentiment(
    tweets: Annotated[Path, _csv("Tweets CSV: 'text', 'airline_sentiment', 'airline_sentiment_confidence'.")],
    min_confidence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Keep tweets whose label agreement is at least this.")
    ] = 0.9,
    negative_below: Annotated[float, typer.Option(help="A compound score below this is negative.")] = -0.05,
    positive_above: Annotated[float, typer.Option(help="A compound score above this is positive.")] = 0.05,
    seed: Annotated[int, typer.Option(help="Seed of the tuning / report split.")] = 0,
    out_json: OutJson = None,
) -> None:
    """Score human-labelled tweets one by one with TicketBuddy's sentiment scorer, and with plain VADER.

    Reports accuracy, macro-F1, the confusion matrix and negative-vs-rest recall on all tweets and on
    two fixed halves: tune anything on the 'tune' half only and quote the 'report' half.
    """
    from ticketbuddy.train.realdata_report import sentiment_markdown
    from ticketbuddy.train.realdata_sentiment import check_sentiment

    if negative_below > positive_above:
        typer.echo("error: --negative-below must not be above --positive-above", err=True)
        raise typer.Exit(2)
    _report(
        lambda: check_sentiment(tweets, min_confidence, negative_below, positive_above, seed),
        sentiment_markdown,
        out_json,
    )


@app.command()
def paraphrases(
    tickets: Annotated[
        Path,
        typer.Option(
            help="Labelled JSONL whose rows carry 'triggers' (tests/fixtures/paraphrases/).", exists=True
        ),
    ],
    model_uri: Annotated[
        str | None,
        typer.Option(
            "--model-uri", help="Decide with this model and the policy.", show_default="the rules alone"
        ),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Policy YAML.", show_default="the shipped policy")
    ] = None,
    out_json: OutJson = None,
    misses: Annotated[
        bool, typer.Option(help="Also list each ticket not decided as labelled, with its reasons.")
    ] = False,
) -> None:
    """Score hand-written paraphrase tickets with and without the families' examples.

    Per family: positives whose family fired, that escalated, and both; and how many hard negatives
    escalated. Tune thresholds on the dev file; quote the test file.
    """
    from ticketbuddy.data.jsonl import read_tickets
    from ticketbuddy.policy.calibrate import read_labels
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import load_model
    from ticketbuddy.train.paraphrases import evaluate_paraphrases, paraphrases_markdown
    from ticketbuddy.train.realdata_report import write_json

    rules = load_policy(policy)
    model = load_model(model_uri) if model_uri else None
    read, labels = read_tickets(tickets), read_labels(tickets)
    results = [
        evaluate_paraphrases(rules, model, read.tickets, labels, semantic) for semantic in (True, False)
    ]
    typer.echo(paraphrases_markdown(results, misses))
    if out_json is not None:
        typer.echo(f"figures written to {write_json({'runs': results}, out_json)}", err=True)


def _report(
    check: Callable[[], dict[str, Any]], render: Callable[[dict[str, Any]], str], out_json: Path | None
) -> None:
    """Run a check, print its tables, and write its figures to ``out_json``; exit 1 on unusable data."""
    from ticketbuddy.train.realdata import RealDataError
    from ticketbuddy.train.realdata_report import write_json

    try:
        result = check()
    except RealDataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(render(result))
    if out_json is not None:
        typer.echo(f"figures written to {write_json(result, out_json)}", err=True)


def _progress(message: str) -> None:
    typer.echo(message, err=True)
