"""A ready crontab line for ``broadsheet crawl``."""

from __future__ import annotations

import re
import shlex
import zlib
from pathlib import Path


def cron_fields(every: str, seed: str) -> str:
    """The five time fields for "every Nh" or "every Nd".

    The minute (and hour, for daily runs) is derived from ``seed`` so that many installations do
    not all hit the same sites at minute 0.
    """
    match = re.fullmatch(r"\s*(\d+)\s*([hd])\s*", every)
    if not match:
        raise ValueError(f"expected an interval like 3h or 1d, got {every!r}")
    count, unit = int(match.group(1)), match.group(2)
    spread = zlib.crc32(seed.encode("utf-8"))
    minute = spread % 60
    if unit == "h":
        if not 1 <= count <= 23:
            raise ValueError("hours must be between 1 and 23")
        return f"{minute} {'*' if count == 1 else f'*/{count}'} * * *"
    if not 1 <= count <= 28:
        raise ValueError("days must be between 1 and 28")
    hour = (spread // 60) % 24
    return f"{minute} {hour} {'*' if count == 1 else f'*/{count}'} * *"


def crontab_line(
    every: str, workdir: Path, program: Path, sources: Path, db: Path, contact: str | None
) -> str:
    workdir = workdir.resolve()
    program = program if program.is_absolute() else (workdir / program)
    args = [str(program), "crawl", "--sources", str((workdir / sources).resolve()),
            "--db", str((workdir / db).resolve())]  # fmt: skip
    if contact:
        args += ["--contact", contact]
    # The crawl holds its own lock and writes its own rotating log. Cron mails whatever a job
    # prints, so it prints only on failure: one line with the exit status and where to look.
    log = (workdir / db).resolve().parent / "logs" / "crawl.log"
    command = (
        f"cd {shlex.quote(str(workdir))} && {shlex.join(args)} > /dev/null 2>&1"
        f' || echo "broadsheet crawl failed with exit status $?; see {log}"'
    )
    return f"{cron_fields(every, str(db.resolve()))} {command}"
