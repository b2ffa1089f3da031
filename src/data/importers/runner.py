"""One entry point for every import format, used by ``ticketbuddy data import`` and by tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ticketbuddy.data.importers.base import ImportReport, ImportSink, default_side_file
from ticketbuddy.schemas import LabelledTicket, Ticket

FORMATS = ("mapping", "cfpb", "twcs")


class ConfigError(ValueError):
    """Bad options or configuration files; raised before the source is read."""


def _refuse_foreign(fmt: str, **options: object) -> None:
    owners = {
        "mapping": ("--mapping", "mapping"),
        "rules": ("--rules", "cfpb"),
        "label_rules": ("--label-rule", "twcs"),
    }
    for name, value in options.items():
        flag, owner = owners[name]
        if value and owner != fmt:
            raise ConfigError(f"{flag} applies to the {owner} format, not to {fmt}")


def _refuse_clashes(src: Path, report: ImportReport) -> None:
    paths = {"--out": report.out, "--rejects": report.rejects_path, "--skipped": report.skipped_path}
    seen = {src.resolve(): "the source file"}
    for flag, path in paths.items():
        if path.resolve() in seen:
            raise ConfigError(f"{flag} {path} is {seen[path.resolve()]}: choose another path")
        seen[path.resolve()] = f"the same file as {flag}"


def _importer(
    fmt: str, src: Path, mapping: Path | None, rules: Path | None, label_rules: Sequence[str]
) -> tuple[type[Ticket], Callable[[ImportSink], None]]:
    """The ticket model and the import function for a format, with its configuration loaded."""
    if fmt == "mapping":
        from ticketbuddy.data.importers.mapping import import_mapping, ticket_model
        from ticketbuddy.data.importers.mapping_config import load_mapping

        if mapping is None:
            raise ConfigError("the mapping format needs --mapping FILE (see docs/IMPORTING.md)")
        config = load_mapping(mapping)
        return ticket_model(config), lambda sink: import_mapping(src, sink, config)
    if fmt == "cfpb":
        from ticketbuddy.data.importers.cfpb import import_cfpb
        from ticketbuddy.data.importers.rules import load_cfpb_rules

        cfpb_rules = load_cfpb_rules(rules)
        return LabelledTicket, lambda sink: import_cfpb(src, sink, cfpb_rules)
    from ticketbuddy.data.importers.rules import parse_label_rule
    from ticketbuddy.data.importers.twcs import import_twcs

    parsed = [parse_label_rule(rule) for rule in label_rules]
    return (LabelledTicket if parsed else Ticket), lambda sink: import_twcs(src, sink, parsed)


def import_file(
    fmt: str,
    src: Path,
    out: Path,
    *,
    mapping: Path | None = None,
    rules: Path | None = None,
    label_rules: Sequence[str] = (),
    rejects: Path | None = None,
    skipped: Path | None = None,
) -> ImportReport:
    """Import a helpdesk export into ticket JSONL, validating every ticket against the contract.

    Args:
        fmt: ``mapping``, ``cfpb`` or ``twcs``.
        src: The export file.
        out: The ticket JSONL to write (``LabelledTicket`` rows when the import produces labels).
        mapping: The column-mapping YAML (``mapping`` only; required there).
        rules: The CFPB label and route rules YAML (``cfpb`` only; default rules without it).
        label_rules: Thread-labelling rules such as ``customer_turns>=3`` (``twcs`` only).
        rejects: Where rejected rows go; default ``out`` with the suffix ``.rejects.jsonl``.
        skipped: Where skipped rows go; default ``out`` with the suffix ``.skipped.jsonl``.

    Returns:
        The reconciled counts.

    Raises:
        ConfigError: Bad options or configuration files (nothing was read or written).
        SourceError: The source cannot be imported (e.g. missing columns; nothing was written).

    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    _refuse_foreign(fmt, mapping=mapping, rules=rules, label_rules=list(label_rules))
    report = ImportReport(
        src, out, rejects or default_side_file(out, "rejects"), skipped or default_side_file(out, "skipped")
    )
    _refuse_clashes(src, report)
    try:
        model, run = _importer(fmt, src, mapping, rules, label_rules)
    except ValueError as exc:  # configuration files and label rules say what is wrong
        raise ConfigError(str(exc)) from exc
    with ImportSink(report, model) as sink:
        run(sink)
    return report
