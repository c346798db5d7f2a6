"""Recording format v1: writer, reader, validation messages and ``posture-hub inspect``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sensor_hub.cli import main
from sensor_hub.recording import (
    REQUIRED_COLUMNS,
    RecordingError,
    RecordingReader,
    RecordingWriter,
    read_recording,
    write_recording,
)
from sensor_hub.recording.reader import CHUNK_ROWS
from sensor_hub.samples import SampleBlock

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sensor_hub" / "data" / "sample_recording.csv"
HEADER = ",".join(REQUIRED_COLUMNS)
# Written precision (half a unit of the last decimal), plus float64 rounding of the result.
TS_ATOL_S = 0.5e-6
ACC_ATOL_MPS2 = 0.5e-5
GYR_ATOL_RADS = 0.5e-6


def make_block(n: int, *, seed: int = 0, start_s: float = 1000.0) -> SampleBlock:
    """Plausible samples at 100 Hz: gravity along x plus noise, small rotation rates."""
    rng = np.random.default_rng(seed)
    return SampleBlock(
        start_s + np.arange(n) / 100.0,
        rng.normal(0.0, 1.0, (n, 3)) + np.array([9.81, 0.0, 0.0]),
        rng.normal(0.0, 0.5, (n, 3)),
    )


def assert_close(got: SampleBlock, want: SampleBlock) -> None:
    """Equal within the written precision (and one float64 ulp of the values)."""
    assert len(got) == len(want)
    ulp_s = np.spacing(np.abs(want.timestamp_s))
    assert np.all(np.abs(got.timestamp_s - want.timestamp_s) <= TS_ATOL_S + ulp_s)
    for got_xyz, want_xyz, atol in (
        (got.acc_mps2, want.acc_mps2, ACC_ATOL_MPS2),
        (got.gyr_rads, want.gyr_rads, GYR_ATOL_RADS),
    ):
        assert np.all(np.abs(got_xyz - want_xyz) <= atol + 2 * np.spacing(np.abs(want_xyz)))


def rows(n: int, start_s: float = 0.0) -> str:
    return "".join(f"{start_s + i * 0.01:.6f},9.81,0,0,0,0,0\n" for i in range(n))


def read_error(path: Path, **kwargs: int) -> RecordingError:
    with pytest.raises(RecordingError) as info, RecordingReader(path, **kwargs) as reader:
        for _ in reader.blocks():
            pass
    return info.value


# --- round trips -------------------------------------------------------------------------


@pytest.mark.slow
def test_million_rows_round_trip_within_written_precision(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    block = make_block(1_000_000, start_s=1.7e9)
    with RecordingWriter(path, metadata={"sensor_role": "lumbar"}) as writer:
        writer.write_block(block.slice(0, 400_000))
        writer.write_block(block.slice(400_000, 1_000_000))
    recording = read_recording(path)
    assert_close(recording.samples, block)
    assert recording.metadata["sensor_role"] == "lumbar"
    assert recording.extra_columns == ()


@pytest.mark.parametrize("rows_per_block", [1, 7, 1000, CHUNK_ROWS, CHUNK_ROWS + 1, 10**6])
def test_block_size_does_not_change_the_data(tmp_path: Path, rows_per_block: int) -> None:
    path = tmp_path / "r.csv"
    block = make_block(CHUNK_ROWS + 4321)
    write_recording(path, block)
    with RecordingReader(path, rows_per_block=rows_per_block) as reader:
        blocks = list(reader.blocks())
        assert reader.bytes_read == reader.size_bytes == path.stat().st_size
    assert all(len(b) == rows_per_block for b in blocks[:-1])
    assert 0 < len(blocks[-1]) <= rows_per_block
    joined = SampleBlock.concat(blocks)
    assert joined.equals(read_recording(path).samples)
    assert_close(joined, block)


def test_blocks_can_be_iterated_again(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    write_recording(path, make_block(50))
    with RecordingReader(path, rows_per_block=7) as reader:
        first = SampleBlock.concat(list(reader.blocks()))
        second = SampleBlock.concat(list(reader.blocks()))
    assert first.equals(second)


def test_header_without_rows_is_an_empty_recording(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    write_recording(path, SampleBlock.empty(), {"note": "nothing yet"})
    recording = read_recording(path)
    assert len(recording.samples) == 0
    assert dict(recording.metadata) == {
        "format": "posture-recording/1",
        "axes": "+x,+y,+z",
        "note": "nothing yet",
    }


def test_writer_output_layout(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    block = SampleBlock(np.array([0.5]), np.array([[9.80665, -0.1, 1e-7]]), np.array([[1, 2, 3.0]]))
    write_recording(path, block, {"sensor_role": "lumbar"})
    assert path.read_text(encoding="utf-8").splitlines() == [
        "# format=posture-recording/1",
        "# axes=+x,+y,+z",
        "# sensor_role=lumbar",
        HEADER,
        "0.500000,9.80665,-0.10000,0.00000,1.000000,2.000000,3.000000",
    ]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_valid_blocks_round_trip(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    n = data.draw(st.integers(0, 40), label="n")
    start_s = data.draw(st.floats(-1e6, 1e6), label="start_s")
    steps_s = data.draw(hnp.arrays(np.float64, n, elements=st.floats(1e-5, 100.0)), label="steps")
    acc_mps2 = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-200, 200)))
    acc_mps2[:, 0] = np.copysign(np.abs(acc_mps2[:, 0]) + 3.0, acc_mps2[:, 0])
    gyr_rads = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-40, 40)))
    block = SampleBlock(start_s + np.cumsum(steps_s), acc_mps2, gyr_rads)
    path = tmp_path_factory.mktemp("prop") / "r.csv"
    write_recording(path, block)
    rows_per_block = data.draw(st.integers(1, 10), label="rows_per_block")
    with RecordingReader(path, rows_per_block=rows_per_block) as reader:
        assert_close(SampleBlock.concat(list(reader.blocks())), block)


# --- reading files from elsewhere -------------------------------------------------------------


def test_extra_columns_ignored_and_reported_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text(
        "# a free-text comment without equals sign\n"
        "# sensor_role = lumbar \n"
        "gyr_z_rads,note,acc_z_mps2,timestamp_s,acc_x_mps2,gyr_x_rads,temp_c,acc_y_mps2,gyr_y_rads\n"
        '0.3,"sat, slouched",0.2,1.5,9.8,0.1,31.5,-0.1,0.2\n'
        "-0.3,ok,-0.2,1.51,9.7,-0.1,31.6,0.1,-0.2\n",
        encoding="utf-8",
    )
    recording = read_recording(path)
    assert recording.extra_columns == ("note", "temp_c")
    assert recording.metadata == {"sensor_role": "lumbar"}
    np.testing.assert_array_equal(recording.samples.timestamp_s, [1.5, 1.51])
    np.testing.assert_array_equal(recording.samples.acc_mps2, [[9.8, -0.1, 0.2], [9.7, 0.1, -0.2]])
    np.testing.assert_array_equal(recording.samples.gyr_rads, [[0.1, 0.2, 0.3], [-0.1, -0.2, -0.3]])


def test_axes_metadata_is_applied_to_acc_and_gyr(tmp_path: Path) -> None:
    path = tmp_path / "rotated.csv"
    path.write_text(f"# axes=+y,-x,+z\n{HEADER}\n0,1,9.8,3,0.1,0.2,0.3\n", encoding="utf-8")
    samples = read_recording(path).samples
    np.testing.assert_array_equal(samples.acc_mps2, [[9.8, -1.0, 3.0]])
    np.testing.assert_array_equal(samples.gyr_rads, [[0.2, -0.1, 0.3]])


def test_crlf_line_endings_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    text = f"# sensor_role=lumbar\r\n{HEADER}\r\n{rows(3)}".replace("\n", "\r\n").replace(
        "\r\r", "\r"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    recording = read_recording(path)
    assert recording.metadata == {"sensor_role": "lumbar"}
    np.testing.assert_allclose(recording.samples.timestamp_s, [0.0, 0.01, 0.02])


def test_comment_lines_that_are_not_key_value_pairs(tmp_path: Path) -> None:
    path = tmp_path / "comments.csv"
    comments = "# recorded at home\n# see http://example.org/?a=b\n# sensor role=lumbar\n#=1\n"
    path.write_text(f"{comments}# sensor_role=pelvis\n{HEADER}\n{rows(2)}", encoding="utf-8")
    assert read_recording(path).metadata == {"sensor_role": "pelvis"}


def test_last_row_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"{HEADER}\n{rows(2)}".rstrip("\n"), encoding="utf-8")
    assert len(read_recording(path).samples) == 2


# --- validation errors -------------------------------------------------------------------

GOOD = rows(3)
# (name, file content, line of the error, text the problem contains)
ERROR_CASES = [
    ("empty", "", 1, "file is empty"),
    ("only comments", "# a=1\n# note\n", 2, "no header row"),
    ("blank before header", f"# a=1\n\n{HEADER}\n", 2, "blank line where the header"),
    ("data, no header", GOOD, 1, "no header row: this line looks like data"),
    (
        "missing",
        "timestamp_s,acc_x_mps2,acc_y_mps2,acc_z_mps2,gyr_x_rads\n",
        1,
        "missing required column(s) gyr_y_rads, gyr_z_rads",
    ),
    ("duplicate", f"# x=1\n{HEADER},acc_x_mps2\n", 2, "duplicate column name 'acc_x_mps2'"),
    ("empty name", f"{HEADER},\n", 1, "header column 8 has an empty name"),
    (
        "acc in g",
        "timestamp_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_rads,gyr_y_rads,gyr_z_rads\n",
        1,
        "acc_x_g, acc_y_g, acc_z_g are in g, expected m/s^2 as acc_x_mps2, acc_y_mps2, "
        "acc_z_mps2: multiply by 9.80665",
    ),
    ("acc in mg", HEADER.replace("acc_y_mps2", "acc_y_mg") + "\n", 1, "multiply by 0.00980665"),
    *(
        (
            f"gyro in {unit}",
            HEADER.replace("gyr_z_rads", f"gyr_z_{unit}") + "\n",
            1,
            f"gyr_z_{unit} is in deg/s, expected rad/s as gyr_z_rads: multiply by pi/180",
        )
        for unit in ("dps", "degs", "deg_s")
    ),
    ("time in ms", HEADER.replace("timestamp_s", "timestamp_ms") + "\n", 1, "multiply by 0.001"),
    (
        "duplicate metadata",
        f"# a=1\n# a=2\n{HEADER}\n",
        2,
        "duplicate metadata key 'a' (first on line 1)",
    ),
    ("other format", f"# format=posture-recording/2\n{HEADER}\n", 1, "unsupported format"),
    ("axes repeated", f"# axes=+x,+x,+z\n{HEADER}\n", 1, "must use each of x, y, z once"),
    ("axes left-handed", f"# q=1\n# axes=+x,+y,-z\n{HEADER}\n", 2, "left-handed"),
    ("axes unsigned", f"# axes=x,y,z\n{HEADER}\n", 1, "invalid axes 'x,y,z'"),
    ("axes too few", f"# axes=+x,+y\n{HEADER}\n", 1, "expected three signed recording axes"),
    ("looks like g", f"{HEADER}\n" + GOOD.replace("9.81", "1.0"), 2, "looks like g, not m/s^2"),
    (
        "looks like deg/s",
        f"{HEADER}\n{GOOD}0.03,9.81,0,0,0,-120.5,0\n",
        5,
        "gyr_y_rads = -120.5 exceeds 40 rad/s",
    ),
    (
        "not a number",
        f"{HEADER}\n{GOOD}0.03,9.81,abc,0,0,0,0\n",
        5,
        "column acc_y_mps2: 'abc' is not a number",
    ),
    ("empty value", f"{HEADER}\n{GOOD}0.03,9.81,0,,0,0,0\n", 5, "column acc_z_mps2 is empty"),
    (
        "nan",
        f"{HEADER}\n{GOOD}0.03,9.81,0,0,NaN,0,0\n",
        5,
        "column gyr_x_rads: 'NaN' is not a finite number",
    ),
    (
        "inf",
        f"{HEADER}\n0,9.81,0,0,0,0,-inf\n",
        2,
        "column gyr_z_rads: '-inf' is not a finite number",
    ),
    ("overflow", f"{HEADER}\n0,9.81,0,0,0,0,1e999\n", 2, "overflows"),
    ("long value", f"{HEADER}\n0,9.81,0,0,0,0,{'x' * 200}\n", 2, "'xxxxxxxx"),
    (
        "too few fields",
        f"{HEADER}\n{GOOD}0.03,9.81,0,0,0,0\n",
        5,
        "expected 7 fields (as in the header row), found 6",
    ),
    ("too many fields", f"{HEADER}\n{GOOD}0.03,9.81,0,0,0,0,0,0\n", 5, "found 8"),
    ("blank line", f"{HEADER}\n{GOOD}\n{rows(1, 0.03)}", 5, "blank line"),
    ("blank at end", f"{HEADER}\n{GOOD}\n", 5, "blank line"),
    ("spaces line", f"{HEADER}\n{GOOD}   \r\n", 5, "blank line"),
    ("comment after header", f"{HEADER}\n{GOOD}# late\n", 5, "expected 7 fields"),
    (
        "repeated time",
        f"# a=b\n{HEADER}\n0,9.81,0,0,0,0,0\n12.34,9.81,0,0,0,0,0\n12.34,9.81,0,0,0,0,0\n",
        5,
        "timestamp_s 12.340000 is not after the previous sample's 12.340000 (line 4)",
    ),
    ("old Mac line endings", f"# a=b\r{HEADER}\r0,9.81,0,0,0,0,0\r", 1, "carriage return inside"),
    ("carriage return in a row", f"{HEADER}\n0,9.81\r,0,0,0,0,0\n", 2, "carriage return inside"),
    (
        "huge quoted field",
        f'{HEADER},note\n0,9.81,0,0,0,0,0,"{"y" * 200_000}"\n',
        2,
        "unreadable CSV quoting",
    ),
    ("time backwards", f"{HEADER}\n{GOOD}0.015,9.81,0,0,0,0,0\n", 5, "0.015000 is not after"),
]


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [pytest.param(c, line, p, id=name) for name, c, line, p in ERROR_CASES],
)
def test_bad_file_reports_file_line_and_problem(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8", newline="")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), line)
    assert problem in err.problem
    assert str(err) == f"{path}:{line}: {err.problem}"
    assert "\n" not in str(err)


VALID = f"# sensor_role=lumbar\n{HEADER},note\n" + rows(12).replace("\n", ",x\n")
PIECES = [
    b",",
    b"\n",
    b"\r",
    b"\r\n",
    b'"',
    b"#",
    b".",
    b"-",
    b"e",
    b"9",
    b" ",
    b"",
    b"\xff",
    b"\x00",
]
PIECES += [b"nan", b"=", b"\xef\xbb\xbf", b"\xc3\xa9", b"1e999", b"acc_x_g"]


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 4), st.sampled_from(PIECES)),
        min_size=1,
        max_size=4,
    ),
    rows_per_block=st.integers(1, 5),
)
def test_damaged_files_raise_only_recording_errors(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[int, int, bytes]],
    rows_per_block: int,
) -> None:
    data = bytearray(VALID.encode())
    for position, deleted, piece in edits:
        start = position % (len(data) + 1)
        data[start : start + deleted] = piece
    path = tmp_path_factory.mktemp("fuzz") / "damaged.csv"
    path.write_bytes(bytes(data))
    error: RecordingError | None = None
    try:
        with RecordingReader(path, rows_per_block=rows_per_block) as reader:
            for _ in reader.blocks():
                pass
    except RecordingError as exc:
        error = exc
    if error is not None:
        assert "\n" not in str(error)
        assert str(error).startswith(f"{path}:{error.line}: ")
        assert error.line is not None
        assert 1 <= error.line <= data.count(b"\n") + 1


def test_invalid_utf8_is_a_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        f"{HEADER}\n{GOOD}0.03,9.81,0,0,0,0,0,\xff\n".encode("latin-1").replace(b",\xff", b"\xff")
    )
    err = read_error(path)
    assert err.line == 5
    assert "not valid UTF-8: byte 0xff" in err.problem
    path.write_bytes(b"# note=\xe9t\xe9\n" + HEADER.encode() + b"\n")
    assert read_error(path).line == 1


@pytest.mark.parametrize("rows_per_block", [7, CHUNK_ROWS])
def test_errors_deep_in_the_file_and_across_chunks(tmp_path: Path, rows_per_block: int) -> None:
    path = tmp_path / "long.csv"
    block = make_block(CHUNK_ROWS + 10)
    write_recording(path, block)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first_data_line = 4  # format, axes, header
    # The first row of the second chunk repeats the last row of the first chunk.
    broken = lines.copy()
    broken[first_data_line - 1 + CHUNK_ROWS] = broken[first_data_line - 2 + CHUNK_ROWS]
    path.write_text("".join(broken), encoding="utf-8")
    err = read_error(path, rows_per_block=rows_per_block)
    assert err.line == first_data_line + CHUNK_ROWS
    assert f"(line {first_data_line + CHUNK_ROWS - 1})" in err.problem
    # A bad value found by the line-by-line rescan of the second chunk.
    broken = lines.copy()
    broken[first_data_line - 1 + CHUNK_ROWS + 5] = "1,2,3\n"
    path.write_text("".join(broken), encoding="utf-8")
    assert read_error(path, rows_per_block=rows_per_block).line == first_data_line + CHUNK_ROWS + 5


def test_missing_file_is_a_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(RecordingError) as info:
        RecordingReader(path)
    assert info.value.line is None
    assert str(info.value) == f"{path}: cannot open: No such file or directory"


# --- writer checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        {"bad key": "x"},
        {"": "x"},
        {"note": "two\nlines"},
        {"note": "cr\r"},
        {"note": " padded"},
        {"format": "posture-recording/2"},
        {"axes": "+y,-x,+z"},
    ],
)
def test_writer_rejects_bad_metadata(tmp_path: Path, metadata: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="metadata"):
        RecordingWriter(tmp_path / "r.csv", metadata=metadata)
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_time_not_increasing_within_and_across_blocks(tmp_path: Path) -> None:
    block = make_block(10)
    path = tmp_path / "r.csv"
    with RecordingWriter(path) as writer:
        writer.write_block(block)
        with pytest.raises(ValueError, match="previous block's last sample"):
            writer.write_block(block)
        repeated = SampleBlock(
            np.array([2e3, 2e3 + 1, 2e3 + 1]), block.acc_mps2[:3], block.gyr_rads[:3]
        )
        with pytest.raises(ValueError, match="sample 2"):
            writer.write_block(repeated.slice(0, 3))
        # 0.4 us apart: increasing as floats, equal once written with 6 decimals.
        close = SampleBlock(np.array([2e3, 2e3 + 4e-7]), block.acc_mps2[:2], block.gyr_rads[:2])
        with pytest.raises(ValueError, match="resolution of 1 us"):
            writer.write_block(close)
        with pytest.raises(ValueError, match="not finite"):
            writer.write_block(
                SampleBlock(np.array([3e3]), np.array([[np.nan, 0, 0]]), np.zeros((1, 3)))
            )
    assert len(read_recording(path).samples) == 10


def _write_then_crash(path: Path) -> None:
    with RecordingWriter(path) as writer:
        writer.write_block(make_block(100))
        names = [p.name for p in path.parent.iterdir()]
        assert len(names) == 1
        assert names[0].startswith(".r.csv.")
        raise RuntimeError("crash")


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="crash"):
        _write_then_crash(tmp_path / "r.csv")
    assert list(tmp_path.iterdir()) == []


def test_writer_replaces_an_existing_file_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    write_recording(path, make_block(5))
    with pytest.raises(ValueError, match="not finite"):
        write_recording(path, SampleBlock(np.array([np.inf]), np.ones((1, 3)), np.ones((1, 3))))
    assert len(read_recording(path).samples) == 5
    assert len(os.listdir(tmp_path)) == 1


# --- the shipped sample and the command line -----------------------------------------------


def test_shipped_sample_is_physically_plausible() -> None:
    recording = read_recording(SAMPLE)
    samples = recording.samples
    assert recording.metadata["sensor_role"] == "lumbar"
    assert recording.metadata["source"] == "synthetic"
    assert len(samples) == 3000
    np.testing.assert_allclose(np.diff(samples.timestamp_s), 0.02, atol=1e-9)
    t = samples.timestamp_s
    upright = samples.acc_mps2[t < 9.0].mean(axis=0)
    np.testing.assert_allclose(upright, [9.81, 0.0, 0.0], atol=0.05)
    lean = samples.acc_mps2[(t > 20.0) & (t < 40.0)].mean(axis=0)
    theta = np.deg2rad(30.0)
    np.testing.assert_allclose(
        lean, 9.80665 * np.array([np.cos(theta), 0.0, np.sin(theta)]), atol=0.05
    )
    # Leaning forward is a positive rotation about y (left): gyro y integrates to +30 deg.
    going_down = (t >= 10.0) & (t < 14.0)
    angle_rad = np.sum(samples.gyr_rads[going_down, 1] - samples.gyr_rads[t < 9.0, 1].mean()) * 0.02
    assert angle_rad == pytest.approx(theta, abs=np.deg2rad(1.0))


def test_sample_script_reproduces_the_shipped_sample(tmp_path: Path) -> None:
    output = tmp_path / "sample.csv"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_sample_recording.py"),
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
    )
    assert output.read_bytes() == SAMPLE.read_bytes()


def test_inspect_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "3,000" in out
    assert "50.000 Hz" in out
    assert "lumbar" in out


def test_inspect_json_reports_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gappy.csv"
    block = make_block(1000)
    keep = np.ones(1000, dtype=bool)
    keep[500:510] = False
    write_recording(
        path, SampleBlock(block.timestamp_s[keep], block.acc_mps2[keep], block.gyr_rads[keep])
    )
    assert main(["inspect", "--json", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["samples"] == 990
    assert summary["median_rate_hz"] == pytest.approx(100.0)
    assert summary["gap_count"] == 1
    assert summary["missing_samples"] == 10
    assert summary["longest_gap_s"] == pytest.approx(0.11)
    assert summary["longest_gap_start_s"] == pytest.approx(1004.99)


def test_inspect_bad_file_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\n{GOOD}0.03,9.81,0,0,0,oops,0\n", encoding="utf-8")
    assert main(["inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err == f"posture-hub: error: {path}:5: column gyr_y_rads: 'oops' is not a number\n"
    )
