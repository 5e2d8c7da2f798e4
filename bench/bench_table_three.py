"""Table 三 of the annual report counted from the engine's applications (issue 26), run by hand:
`.venv/bin/python bench/bench_table_three.py [--applications N] [--rounds 5]`.

On a throwaway SQLite database (migrated here) it registers nothing through the API: it writes
`--applications` rows (default 20,000) over 2025–2026 for one organ with session.add_all, one in
three still open, the rest replied with a reply type cycling through the rows of table 三. Then,
in the same run, the best of the rounds of:

- `computed_table_three` for 2026 (every cell of table 三: the database counts the applications
  alike, the policy fills the cells);
- the baseline: one bare SQL GROUP BY of the same rows by applicant type and row of table 三.

It prints each figure and the ratio service ÷ baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.applications import Application  # noqa: E402
from models.db import make_engine, session_scope  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.organs import Organ  # noqa: E402
from policies.application_replies import ReplyType, report_row  # noqa: E402
from policies.applications import ApplicantType, Channel  # noqa: E402
from services.applications import computed_table_three  # noqa: E402

AT = datetime(2026, 12, 6, tzinfo=UTC)
REPLIES = [
    (ReplyType.DISCLOSED, None, []),
    (ReplyType.PARTIAL, None, ["NS-4"]),
    (ReplyType.WITHHELD, None, ["NS-6"]),
    (ReplyType.CANNOT_PROVIDE, "CP-1", []),
    (ReplyType.NOT_PROCESSED, "NP-2", []),
    (ReplyType.OTHER, None, []),
]


def fill(url: str, count: int) -> None:
    """`count` applications over 2025–2026, one in three open."""
    kinds = list(ApplicantType)
    with session_scope(make_engine(url)) as session:
        organ = Organ(code="bench", name="基准测试县人民政府办公室", created_at=AT)
        session.add(organ)
        session.flush()
        rows = []
        for n in range(count):
            received = date(2025, 1, 1) + timedelta(days=n * 700 // count)
            reply, sub, reasons = REPLIES[n % len(REPLIES)]
            replied = n % 3 != 0
            rows.append(
                Application(
                    number=f"bench-{n}",
                    organ_id=organ.id or 0,
                    policy_profile="national",
                    channel=Channel.ONLINE,
                    received_on=received,
                    registered_at=AT,
                    fingerprint=f"{n:064d}",
                    applicant_type=kinds[n % len(kinds)],
                    applicant_key=f"{n % 997:064d}",
                    applicant_name="x",
                    applicant_id_number="x",
                    contact="x",
                    description="x",
                    requested_form="x",
                    nth_in_month=1,
                    fee_yuan=0,
                    reply_type=reply.value if replied else None,
                    sub_reason=sub if replied else None,
                    reason_codes=reasons if replied else [],
                    replied_on=received + timedelta(days=20) if replied else None,
                    report_row=report_row(reply, sub, reasons) if replied else None,
                )
            )
        session.add_all(rows)


def best(run: Callable[[], object], rounds: int) -> float:
    """The fastest of `rounds` timed calls, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


BASELINE = sa.text(
    "SELECT applicant_type, report_row, count(*) FROM applications "
    "WHERE received_on <= :last AND (replied_on IS NULL OR replied_on >= :first) "
    "GROUP BY applicant_type, report_row"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-table-three-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        upgrade(url)
        fill(url, args.applications)
        engine = make_engine(url)
        params = {"first": date(2026, 1, 1), "last": date(2026, 12, 31)}
        with session_scope(engine) as session:
            cells = computed_table_three(session, 2026)
            service = best(lambda: computed_table_three(session, 2026), args.rounds)
            baseline = best(
                lambda: session.connection().execute(BASELINE, params).all(), args.rounds
            )
        engine.dispose()
    print(
        f"applications: {args.applications:,} (SQLite); 2026 总计 一+二 = "
        f"{cells[('三', '一', '总计')] + cells[('三', '二', '总计')]:,}"
    )
    print(f"bare SQL GROUP BY:      {baseline * 1000:8.1f} ms")
    print(f"computed_table_three:   {service * 1000:8.1f} ms")
    print(f"ratio: {service / baseline:.2f}x")


if __name__ == "__main__":
    main()
