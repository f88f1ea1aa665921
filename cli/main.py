"""The dataset command line: ``python -m tasks <command>`` (or ``datasets-storage``).

Commands read the registry and the data dir only; none imports TensorFlow or needs a
scheduler (``preview`` decodes images with PIL and our own record parser).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import handlers
from data import format as fmt
from data import locate, metadata, settings
from data.croissant import CROISSANT_FILE
from data.tfds_compat import TFDS_DIR
from data.verify import VerificationError, verify
from handlers._spec import EVIDENCE_KINDS


class UsageError(ValueError):
    """A request that cannot be met as asked (e.g. a split the dataset does not have)."""


def source_route(spec) -> str:
    """How a dataset's artifacts are obtained: manual, Kaggle, Google Drive or HTTP."""
    routes = set()
    for artifact in spec.artifacts:
        if getattr(artifact, "kaggle", None):
            routes.add("Kaggle")
        elif getattr(artifact, "gdrive_id", None):
            routes.add("GDrive")
        elif artifact.url is None:
            routes.add("manual")
        elif "web.archive.org" in artifact.url:
            routes.add("WA")
        else:
            routes.add("HTTP")
    return "+".join(sorted(routes))


def _classes(spec) -> str:
    features = spec.features
    return features.regression_target or str(features.num_classes)


def _built_dir(spec, data_dir: Path) -> Path:
    return locate.dataset_dir(data_dir, spec.name, spec.version)


def _is_built(spec, data_dir: Path) -> bool:
    return (_built_dir(spec, data_dir) / fmt.INFO_FILE).exists()


def cmd_list(args) -> int:
    rows = [("name", "task", "classes", "route", "manual", "built")]
    for spec in handlers.all_specs():
        rows.append((
            spec.name,
            spec.features.task,
            _classes(spec),
            source_route(spec),
            "yes" if spec.needs_manual_download else "no",
            "yes" if _is_built(spec, args.data_dir) else "no",
        ))
    if args.markdown:  # the "built" column depends on the machine: left out
        print(_markdown(rows))
        return 0
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _table(rows) -> str:
    lines = []
    for number, row in enumerate(rows):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        if number == 0:
            lines.append("|" + "---|" * len(row))
    return "\n".join(lines)


def _markdown(rows) -> str:
    """DATASETS.md: the table, then what each handler was checked against, the notes
    still open, and where a dataset deliberately differs from dm_nevis."""
    specs = handlers.all_specs()
    counts = {kind: sum(spec.evidence.kind == kind for spec in specs) for kind in EVIDENCE_KINDS}
    kinds = ["evidence"] + [spec.evidence.kind for spec in specs]
    parts = [
        _table([row[:-1] + (kind,) for row, kind in zip(rows, kinds, strict=True)]),
        "\n## Evidence\n",
        "What each handler's layout (member names, labels, splits, counts) was checked against: "
        + "; ".join(f"*{kind}* ({EVIDENCE_KINDS[kind]}): {counts[kind]}" for kind in EVIDENCE_KINDS)
        + ". Listings under `tests/listings/` are replayed through the handler in CI.\n",
        _table([("name", "evidence", "source", "still unconfirmed")] + [
            (spec.name, spec.evidence.kind, spec.evidence.source or "-", spec.unconfirmed or "-")
            for spec in specs
        ]),
        "\n## Where a dataset differs from dm_nevis\n",
        _table([("name", "difference, and why")] + [
            (spec.name, spec.dm_nevis_differences) for spec in specs if spec.dm_nevis_differences
        ]),
    ]
    return "\n".join(parts)


def cmd_info(args) -> int:
    spec = handlers.get(args.name)
    print(f"{spec.name} {spec.version}: {spec.description}")
    print(f"homepage: {spec.homepage}\nlicense:  {spec.license}\ncitation: {spec.citation}")
    print(f"task:     {spec.features.task}, {spec.features.channels} channel(s), classes: {_classes(spec)}")
    evidence = spec.evidence
    print(f"evidence: {evidence.kind}" + (f" ({evidence.source})" if evidence.source else ""))
    if spec.unconfirmed:
        print(f"unconfirmed: {spec.unconfirmed}")
    print("artifacts:")
    for artifact in spec.artifacts:
        path = locate.artifacts_dir(args.data_dir, spec.source_of(artifact)) / artifact.file
        state = "present" if path.exists() else "missing"
        checksum = ":".join(artifact.checksum) if artifact.checksum else "no checksum"
        print(f"  {artifact.file} [{state}] {artifact.url or artifact.manual} ({checksum})")
    directory = _built_dir(spec, args.data_dir)
    if _is_built(spec, args.data_dir):
        info = metadata.read_info(directory)
        print(f"built:    {directory}")
        for split, entry in sorted(info["splits"].items()):
            print(f"  split {split}: {entry['num_examples']} examples in {len(entry['shards'])} shard(s)")
            if "statistics" in entry:
                print(f"    {_describe_statistics(entry['statistics'])}")
        if (directory / TFDS_DIR / fmt.INFO_FILE).exists():
            print(f"TFDS:     tfds.builder_from_directory({str(directory / TFDS_DIR)!r})")
            print(f"Croissant: {directory / CROISSANT_FILE}")
        else:  # built before these files existed: WriteMetadata alone writes them
            print(f"TFDS, Croissant: not written yet; delete {directory / fmt.INFO_FILE} and rerun the build")
    elif directory.is_dir():
        written = sorted(directory.glob(f"{spec.name}-*.tfrecord-*"))
        print(f"unfinished: {len(written)} shard file(s) in {directory} but no {fmt.INFO_FILE}; "
              f"finish it with luigi --module tasks BuildDataset --dataset {spec.name} --local-scheduler")
    else:
        print("not built (luigi --module tasks BuildDataset --dataset "
              f"{spec.name} --local-scheduler)")
    return 0


def _describe_statistics(statistics: dict) -> str:
    def numbers(values):
        return "/".join(f"{value:.1f}" for value in values)

    def sizes(summary):
        return f"{summary['min']}/{summary['median']}/{summary['max']}"

    sample = statistics.get("pixel_sample_images")
    sampled = f" (from a sample of {sample} of {statistics['num_images']} images)" if sample else ""
    return (f"pixel mean {numbers(statistics['pixel_mean'] or [])}, std {numbers(statistics['pixel_std'] or [])}"
            f"{sampled}; height min/median/max {sizes(statistics['height'])}, width {sizes(statistics['width'])}")


def cmd_verify(args) -> int:
    spec = handlers.get(args.name)
    if args.repair:
        code = _repair(spec, args)
        if code:
            return code
    else:
        result = verify(spec.name, args.data_dir)
        print(f"{spec.name}: OK, {result['examples']} examples in {result['shards']} shards "
              "match dataset_info.json")
    stale = _provenance_changes(spec, metadata.read_info(_built_dir(spec, args.data_dir)))
    if stale:
        print(f"{spec.name}: built from other inputs than the current ones (a rebuild "
              "would differ):\n  " + "\n  ".join(stale), file=sys.stderr)
        return 1
    return 0


def _repair(spec, args) -> int:
    from cli.repair import RepairError, repair

    try:
        result = repair(spec.name, args.data_dir, args.workers, _provenance_changes)
    except RepairError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    done = (f"rebuilt {len(result['repaired'])} file(s) ({', '.join(result['repaired'])}); "
            if result["repaired"] else "nothing to repair; ")
    print(f"{spec.name}: {done}OK, {result['examples']} examples in {result['shards']} shards "
          "match dataset_info.json")
    return 0


def cmd_export(args) -> int:
    from data.export import export_parquet

    spec = handlers.get(args.name)
    out = export_parquet(spec.name, args.data_dir, out=args.output)
    print(f"{spec.name}: Parquet export in {out}: mlcroissant reads {out / 'croissant.json'}, "
          f"Hugging Face datasets.load_dataset({str(out)!r})")
    return 0


def _provenance_changes(spec, info: dict) -> list[str]:
    """What differs between the build's recorded inputs and today's code and artifacts."""
    from tasks import provenance
    from tasks.graph import provenance_of

    built, now = info.get("provenance"), provenance_of(spec.name)
    if built is None:
        return ["no provenance recorded (built by an older version)"]
    if provenance.same_build(built, now):
        return []
    changes = [f"code changed: {name}" for name in sorted(set(built["code"]) | set(now["code"]))
               if built["code"].get(name) != now["code"].get(name)]
    changes += [f"artifact {name}: built from {built['artifacts'].get(name)}, now {now['artifacts'].get(name)}"
                for name in sorted(set(built["artifacts"]) | set(now["artifacts"]))
                if built["artifacts"].get(name) != now["artifacts"].get(name)]
    for key in ("format_version", "settings"):
        if built.get(key) != now.get(key):
            changes.append(f"{key}: built with {built.get(key)}, now {now.get(key)}")
    return changes


def cmd_preview(args) -> int:
    from cli import preview

    spec = handlers.get(args.name)
    directory = _built_dir(spec, args.data_dir)
    info = metadata.read_info(directory)
    split = args.split or ("train" if "train" in info["splits"] else sorted(info["splits"])[0])
    if split not in info["splits"]:
        raise UsageError(f"{spec.name} has no split {split!r}; it has {', '.join(sorted(info['splits']))}")
    if min(args.count, args.columns) < 1 or args.tile < 8:
        raise UsageError("--count and --columns must be at least 1, --tile at least 8")
    if args.duplicates:
        return _preview_duplicates(args, spec, directory, info)
    output = args.output or Path(f"{spec.name}-{split}.png")
    sheet, shown = preview.contact_sheet(directory, info, split, count=args.count,
                                         columns=args.columns, tile=args.tile)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, format="PNG")
    print(f"{output}: {shown} examples of {spec.name} {split}, {sheet.width}x{sheet.height} pixels")
    return 0


def _preview_duplicates(args, spec, directory: Path, info: dict) -> int:
    """``preview --duplicates``: the groups the validation stage found, one row each."""
    from cli import preview

    if "validation" not in info:
        raise UsageError(f"{spec.name} was built without validation ([validate] enabled = false): "
                         "no duplicate groups recorded")
    sheet, shown = preview.duplicates_sheet(directory, info, count=args.count, columns=args.columns,
                                            tile=args.tile)
    if not shown:
        print(f"{spec.name}: validation found no duplicate groups; no sheet written")
        return 0
    output = args.output or Path(f"{spec.name}-duplicates.png")
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output, format="PNG")
    print(f"{output}: {shown} duplicate groups of {spec.name}, {sheet.width}x{sheet.height} pixels")
    return 0


def cmd_status(args) -> int:
    from tasks import status
    from tasks.graph import provenance_of, shard_counts

    names = handlers.expand(args.names or ["all"])
    errors = status.last_errors(args.data_dir)
    rows = [status.dataset_status(handlers.get(name), args.data_dir, errors,
                                  provenance_of(name)["fingerprint"], shard_counts=shard_counts)
            for name in names]
    if not args.names:  # the whole registry: show only what has been touched
        rows = [row for row in rows if row["artifacts"][0] or row["planned"] or row["error"]]
    print(status.format_status(rows) if rows else f"nothing built yet under {args.data_dir}")
    return 0


def cmd_scheduler(args) -> int:
    from cli import scheduler

    host = settings.value("core", "scheduler_host", "127.0.0.1")[0]
    port = int(settings.value("core", "scheduler_port", "8082")[0])
    return scheduler.run_luigid(args.data_dir, args.address or host, args.port or port, args.background)


def cmd_demo(args) -> int:
    from cli import demo

    handlers.get(args.name)  # an unknown name fails here, with suggestions
    return demo.run(args.name, args.data_dir, workers=args.workers)


def cmd_doctor(args) -> int:
    from cli import doctor
    from tasks.config import fetch_settings

    specs = [handlers.get(name) for name in handlers.expand(args.names or ["all"])]
    checksum_for = fetch_settings().checksum_for
    known = {}
    if args.drop_folder:
        drops = doctor.file_drops(args.drop_folder, specs, args.data_dir, checksum_for)
        print(doctor.format_drops(args.drop_folder, drops) + "\n")
        known = doctor.known_digests(drops)
    rows = doctor.diagnose(specs, args.data_dir, checksum_for, known)
    print(doctor.format_report(rows))
    return 0 if doctor.healthy(rows) else 1


def cmd_gc(args) -> int:
    from cli import gc
    from tasks import graph

    registered = set(handlers.names())

    def current(dataset: str) -> str | None:
        return graph.staging_of(dataset).name if dataset in registered else None

    removable, held = gc.collect(args.data_dir, current, args.min_age * 60)
    if args.delete:
        gc.remove(removable)
    print(gc.format_report(removable, held, args.data_dir, args.delete))
    return 0


def cmd_check_links(args) -> int:
    from cli import links

    if min(args.per_host, args.workers) < 1 or args.timeout <= 0:
        raise UsageError("--per-host and --workers must be at least 1, --timeout positive")
    items = [(name, artifact) for name in handlers.expand(args.names or ["all"])
             for artifact in handlers.get(name).artifacts]
    results = links.check_artifacts(items, per_host=args.per_host, workers=args.workers,
                                    timeout=args.timeout)
    print(links.to_json(results) if args.json else links.format_table(results))
    return 0 if links.all_fine(results) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tasks", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="data dir (default: [storage] data_dir in the settings, else "
                        f"${settings.DATA_DIR_ENV}, else {settings.DEFAULT_DATA_DIR})")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every registered dataset")
    listing.add_argument("--markdown", action="store_true", help="a Markdown table (DATASETS.md)")
    listing.set_defaults(run=cmd_list)
    info = commands.add_parser("info", help="facts, artifacts and splits of one dataset")
    info.add_argument("name")
    info.set_defaults(run=cmd_info)
    check = commands.add_parser("verify", help="recheck a built dataset against its metadata")
    check.add_argument("name")
    check.add_argument("--repair", action="store_true", help="delete the shards that no longer "
                       "match and rebuild them from staging, byte-identical to the original")
    check.add_argument("--workers", type=int, default=1, help="Luigi workers for --repair "
                       "(default: 1)")
    check.set_defaults(run=cmd_verify)
    export = commands.add_parser(
        "export", help="a Parquet copy of a built dataset for mlcroissant and Hugging Face",
        description="Write NAME's examples as Parquet (one file per shard), with a Croissant "
                    "file mlcroissant iterates and a Hugging Face dataset card; the TFRecords "
                    "stay the primary format. Needs pyarrow (pip install -e '.[export]').")
    export.add_argument("name")
    export.add_argument("--output", "-o", type=Path, help="default: <built dataset>/parquet")
    export.set_defaults(run=cmd_export)
    sheet = commands.add_parser(
        "preview", help="a PNG contact sheet of sample images with their class names",
        description="Write a PNG contact sheet of a built dataset: the first example of each "
                    "class, then more in stored (shuffled) order, each captioned with its label.")
    sheet.add_argument("name")
    sheet.add_argument("--split", help="default: train, else the first split by name")
    sheet.add_argument("--output", "-o", type=Path, help="default: ./<name>-<split>.png")
    sheet.add_argument("--count", type=int, default=32, help="images on the sheet (default: 32)")
    sheet.add_argument("--columns", type=int, default=8, help="images per row (default: 8)")
    sheet.add_argument("--tile", type=int, default=96, help="tile side in pixels (default: 96)")
    sheet.add_argument("--duplicates", action="store_true",
                       help="the largest duplicate groups validation found, one row each (--count: "
                       "images in all, --columns: per group; default output ./<name>-duplicates.png)")
    sheet.set_defaults(run=cmd_preview)
    state = commands.add_parser(
        "status", help="per dataset: artifacts, shards done per split, complete, last error")
    state.add_argument("names", nargs="*", help="datasets or collections (default: all touched)")
    state.set_defaults(run=cmd_status)
    central = commands.add_parser(
        "scheduler", help="start luigid on 127.0.0.1, its state private to this host and user "
        "([scheduler] state_dir), never in the shared data dir")
    central.add_argument("--address", help="interface to listen on (default: [core] "
                         "scheduler_host, 127.0.0.1); anything else exposes an "
                         "unauthenticated UI")
    central.add_argument("--port", type=int, help="default: [core] scheduler_port, 8082")
    central.add_argument("--background", action="store_true", help="daemonize")
    central.set_defaults(run=cmd_scheduler)
    show = commands.add_parser(
        "demo", help="build a dataset's tiny fixture end to end, offline, to watch it work",
        description="Serve NAME's fixture on 127.0.0.1 and build it through the real graph "
                    "into <data dir>/fixture-builds (marked as fixture data), then read it back.")
    show.add_argument("name", nargs="?", default="mnist", help="dataset (default: mnist)")
    show.add_argument("--workers", type=int, default=2, help="Luigi workers (default: 2)")
    show.set_defaults(run=cmd_demo)
    doctor = commands.add_parser(
        "doctor", help="which artifacts are verified, wrong or missing, and how to get them",
        description="Check every artifact of the datasets (default: all) against its "
                    "checksum, say where to get the missing ones; exit 1 unless all verified.")
    doctor.add_argument("names", nargs="*", help="datasets or collections (default: all)")
    doctor.add_argument("--drop-folder", type=Path, help="file the hand-downloaded files in "
                        "this folder (any names) into the artifact store by checksum")
    doctor.set_defaults(run=cmd_doctor)
    linkcheck = commands.add_parser(
        "check-links", help="HEAD every artifact URL: dead links, redirects, changed sizes",
        description="Probe every artifact URL (HEAD, or a 16-byte ranged GET) without "
                    "downloading; exit 1 unless every link is ok.")
    linkcheck.add_argument("names", nargs="*", help="datasets or collections (default: all)")
    linkcheck.add_argument("--json", action="store_true", help="JSON instead of a table")
    linkcheck.add_argument("--per-host", type=int, default=2, help="requests at once per host (default: 2)")
    linkcheck.add_argument("--workers", type=int, default=16, help="requests at once in all (default: 16)")
    linkcheck.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default: 20)")
    linkcheck.set_defaults(run=cmd_check_links)
    collect = commands.add_parser(
        "gc", help="list (or --delete) what nothing current needs: old staging, unused "
                   "artifacts, rejected/superseded files, stale partials",
        description="List, with sizes, staging of fingerprints no longer current, artifacts "
                    "no dataset links to, files set aside as rejected or superseded, and "
                    "partial files; anything written to recently is held, never removed.")
    collect.add_argument("--delete", action="store_true", help="remove what is listed")
    collect.add_argument("--min-age", type=float, default=60.0,
                         help="minutes since the last write before anything is touched "
                              "(default: 60)")
    collect.set_defaults(run=cmd_gc)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir is None:
        args.data_dir = settings.data_dir()
    try:
        return args.run(args)
    except BrokenPipeError:  # `... | head`: the reader left; not an error of ours
        sys.stdout = None
        return 0
    except (handlers.UnknownDatasetError, metadata.IncompleteDatasetError,
            VerificationError, FileNotFoundError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

