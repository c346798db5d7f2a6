"""``posture-hub report`` on a store holding a simulated day, through ``cli.main``."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image

from sensor_hub.cli import main
from sensor_hub.processing import Band
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.sqlite_store import SqliteReader, SqliteStore
from sensor_hub.report.build import day_bounds_ns
from sensor_hub.report.data import load_range
from sensor_hub.report.summary import summarize
from sensor_hub.report.text import fmt_duration, fmt_pct, summary_lines
from sensor_hub.schema import points_for
from sensor_hub.web.history import History
from tests.report.simday import DAY, OTHER, START_S, WEARER, sim_day

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "posture.sqlite"
    with SqliteStore(path, retention_days=None) as writer:
        writer.write(sim_day().points())
    return path


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")


def _run(*args: str) -> int:
    return main(["report", *args])


def _check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.width > 300
        assert image.height > 150


def _standalone(html: str) -> None:
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html


def test_day_report(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["--day", DAY, "--store", str(store), "--wearer", WEARER, "--tz", "UTC"]
    assert _run(*argv, "--out", str(out)) == 0
    printed = capsys.readouterr().out
    stem = f"{WEARER}-{DAY}"
    html_path = out / f"report-{stem}.html"
    for name in (f"timeline-{stem}.png", f"bands-{stem}.png"):
        _check_png(out / name)
    html = html_path.read_text(encoding="utf-8")
    _standalone(html)
    assert html.count("data:image/png;base64,") == 2

    # the figures, independently from the points written: each sample stands for the time
    # to the next one (at most 2 s), the last one for the median step
    day = sim_day()
    points = [p for p in day.points() if p.measurement == "posture" and p.tags["wearer"] == WEARER]
    t = np.array([p.time_ns for p in points]) / 1e9
    gaps = np.diff(t)
    weight = np.minimum(np.append(gaps, np.median(gaps)), 2.0)
    band = np.array([int(p.fields["band"]) for p in points])
    upright = np.array([p.fields["activity"] == 0 for p in points])
    good = upright & np.isin(band, [Band.NEUTRAL, Band.MILD])
    score = fmt_pct(round(100 * weight[good].sum() / weight[upright].sum(), 1))
    ended = [e for e in day.episodes if e.phase.value == "ended"]
    phases = Counter(e.phase.value for e in day.episodes)
    expected = {
        ("Posture score", "neutral + mild, of upright time"): score,
        ("Episodes", "count"): str(phases["started"]),
        ("Episodes", "alerted"): str(phases["alerted"]),
        ("Episodes", "longest"): fmt_duration(max(e.duration_s or 0 for e in ended)),
        ("Alerts", "buzzed"): "2",
        ("Alerts", "suppressed"): "1",
        ("Prompts", "shown"): "2",
        ("Prompts", "done"): "1",
        ("Prompts", "skip"): "1",
        ("Prompts", "adherence (done)"): "50.0 %",
        ("Prompts", "mean response"): "30.0 s",
    }
    for b in Band:
        share = 100 * weight[upright & (band == b)].sum() / weight[upright].sum()
        expected["Upright time per band", b.label] = fmt_pct(share)
    stance = np.array([int(p.fields["stance"]) for p in points])
    for s in (Stance.SITTING, Stance.STANDING):  # unknown stance counts in neither
        expected["Time", s.label] = fmt_duration(float(weight[stance == s].sum()))
    assert expected["Time", "standing"] == "3 min 00 s"  # the simulated stand-up break

    with SqliteReader(store) as reader:
        lines = summary_lines(
            summarize(load_range(reader, WEARER, *day_bounds_ns(date(2026, 3, 2), UTC)))
        )
    got = {(line.section, line.label): line.value for line in lines}
    for key, value in expected.items():
        assert got[key] == value, key
    for line in lines:  # every number printed is in the HTML, and the other way round
        assert line.value in printed, line
        assert f'<td class="num">{line.value}</td>' in html, line
    shares = sum(float(got["Upright time per band", b.label].split()[0]) for b in Band)
    assert shares == pytest.approx(100.0, abs=0.3)
    assert str(html_path) in printed.replace("\n", "")


def test_week_report(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "week"
    argv = ["--week", "2026-02-27", "--store", str(store), "--wearer", WEARER, "--tz", "UTC"]
    assert _run(*argv, "--out", str(out)) == 0
    printed = capsys.readouterr().out
    stem = f"{WEARER}-week-2026-02-27"
    for name in (f"trend-{stem}.png", f"bands-{stem}.png"):
        _check_png(out / name)
    html = (out / f"report-{stem}.html").read_text(encoding="utf-8")
    _standalone(html)
    assert (
        _run(
            "--day",
            DAY,
            "--store",
            str(store),
            "--wearer",
            WEARER,
            "--tz",
            "UTC",
            "--out",
            str(tmp_path / "day"),
        )
        == 0
    )
    day_printed = capsys.readouterr().out
    score = re.search(r"neutral \+ mild, of upright time\s*│?\s*([\d.]+ %)", day_printed)
    assert score is not None
    assert "Mon 2026-03-02" in printed
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    (monday,) = [r for r in rows if "Mon 2026-03-02" in r]
    assert score.group(1) in monday
    sitting = re.search(r"sitting\s*│?\s*(\d+ min \d\d s)", day_printed)
    assert sitting is not None
    assert f'<td class="num">{sitting.group(1)}</td><td class="num">3 min 00 s</td>' in monday
    others = [r for r in rows if re.search(r"\w{3} 2026-0[23]-\d\d", r) and r != monday]
    assert len(others) == 6
    assert all("—" in r for r in others)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "2026-13-01"], "bad date '2026-13-01': expected YYYY-MM-DD"),
        (["--day", "2026-03-05"], "no data for wearer 'alice' on 2026-03-05"),
        (["--week", "2026-03-03"], "no data for wearer 'alice' in the week from 2026-03-03"),
        (["--day", DAY, "--tz", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_errors_are_one_line(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = [*args, "--store", str(store), "--wearer", WEARER, "--out", str(tmp_path / "o")]
    assert _run(*argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "o").exists()


def test_missing_store_and_ambiguous_wearer(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--day", DAY, "--store", str(tmp_path / "nope.sqlite")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no store at" in err
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database " * 100)
    assert _run("--day", DAY, "--store", str(garbage)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "file is not a database" in err
    assert _run("--day", DAY, "--store", str(store), "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    assert f"give --wearer (the store has: {WEARER}, {OTHER})" in err


def test_default_store_and_wearer_from_settings(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "posture.sqlite").write_bytes(store.read_bytes())
    monkeypatch.setenv("POSTURE_HUB_DATA_DIR", str(data))
    monkeypatch.setenv("POSTURE_HUB_WEARER", OTHER)
    monkeypatch.chdir(tmp_path)
    assert _run("--day", DAY, "--tz", "UTC") == 0
    assert OTHER in capsys.readouterr().out
    assert (tmp_path / "posture-report" / f"report-{OTHER}-{DAY}.html").stat().st_size > 1000


def test_score_and_shares_equal_the_built_in_dashboards(store: Path) -> None:
    """One definition of the posture score: the report and the web dashboard's history agree."""
    history = History(store, UTC)
    try:
        web = history.day(WEARER, date(2026, 3, 2))
    finally:
        history.close()
    with SqliteReader(store) as reader:
        ours = summarize(load_range(reader, WEARER, *day_bounds_ns(date(2026, 3, 2), UTC)))
    assert ours.score_pct is not None
    assert ours.score_pct == web["score"]
    assert ours.upright_s == pytest.approx(web["upright_s"], abs=0.05)
    shares = web["band_share"]
    assert isinstance(shares, dict)
    for label, share in ours.band_share_pct.items():
        assert share == pytest.approx(100 * shares[label], abs=0.01)


def test_time_sitting_and_standing_skip_unknown_and_older_hubs(tmp_path: Path) -> None:
    """Sitting and standing come from each sample's stance, weighted like every time figure;
    unknown stance, and telemetry of a hub that sent none, count in neither."""
    day = sim_day()
    older = [replace(m, stance=None) for m in day.telemetry if m.ts_s >= START_S + 900]
    newer = [m for m in day.telemetry if m.ts_s < START_S + 900]
    with SqliteStore(tmp_path / "s.sqlite", retention_days=None) as writer:
        writer.write([p for m in (*newer, *older) for p in points_for(m)])
    with SqliteReader(tmp_path / "s.sqlite") as reader:
        data = load_range(reader, WEARER, *day_bounds_ns(date(2026, 3, 2), UTC))
    summary = summarize(data)
    t = np.array([p.time_ns for m in (*newer, *older) for p in points_for(m)]) / 1e9
    weight = np.minimum(np.append(np.diff(t), np.median(np.diff(t))), 2.0)
    codes = np.array([-1 if m.stance is None else int(m.stance) for m in (*newer, *older)])
    assert set(summary.stance_s) == {"sitting", "standing"}
    for s in (Stance.SITTING, Stance.STANDING):
        assert summary.stance_s[s.label] == pytest.approx(float(weight[codes == s].sum()))
    assert summary.stance_s["standing"] == pytest.approx(180.0, abs=0.5)
    unknown_s = float(weight[codes != Stance.SITTING].sum()) - summary.stance_s["standing"]
    assert unknown_s > 60.0  # the first minute and the older hub's five
    total = summary.stance_s["sitting"] + summary.stance_s["standing"]
    assert total == pytest.approx(summary.measured_s - unknown_s)
