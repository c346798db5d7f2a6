"""Recording format v1: IMU samples in a CSV file that other tools can rely on.

The format
----------
* UTF-8 text (a leading byte-order mark is accepted), lines ending in ``\\n`` or ``\\r\\n``.
* Optional comment lines starting with ``#`` before the header row.  ``# key=value`` lines are
  metadata: the key matches ``[A-Za-z0-9_.-]+``, key and value are stripped of surrounding
  blanks, a key appears once.  A ``#`` line without ``=`` is a plain comment; a ``#`` line with
  ``=`` whose key is not a valid key is an error.  Known keys:

  - ``format``: ``posture-recording/1`` (optional; any other value is rejected);
  - ``axes``: the recording axes that make up body x, y, z, three signed axes such as
    ``+x,+y,+z`` (the default) or ``+y,-x,+z`` (body x = recording +y, body y = recording -x,
    body z = recording +z).  Each of x, y, z once, right-handed (determinant +1).  The reader
    applies it to accelerometer and gyroscope alike;
  - anything else (``sensor_role=lumbar``, ``source=...``) is passed through verbatim.

* A header row naming at least ``timestamp_s, acc_x_mps2, acc_y_mps2, acc_z_mps2,
  gyr_x_rads, gyr_y_rads, gyr_z_rads`` in any order; other columns are ignored but reported.
  Names are unique.  A required quantity under another unit (``acc_x_g``, ``gyr_x_dps``, ...)
  is an error that says how to convert.
* One row per sample, as many fields as the header, every required value a finite decimal
  number (``1``, ``-0.5``, ``1e-3``; no NaN or infinity).  Timestamps in seconds, any origin,
  strictly increasing; gaps (dropped samples) are allowed.  No blank lines after the header
  (the last row may or may not end with a newline).  Fields are not quoted by the writer;
  the reader accepts CSV quoting in extra columns.
* Axes (after ``axes`` is applied): x up the spine, y to the wearer's left, z backward out of
  the back.  Units: s, m/s^2 (specific force, about +9.81 up at rest), rad/s.
* A header row with no data rows is a valid, empty recording.

Sanity checks on values: over the first :data:`~sensor_hub.recording.reader.CHUNK_ROWS`
samples, a median accelerometer magnitude below 2.5 m/s^2 (a file in g) or any gyroscope
component above 40 rad/s (a file in deg/s) is an error.

The writer writes ``# format=posture-recording/1`` and ``# axes=+x,+y,+z`` first, then the
other metadata, the seven required columns, timestamps with 6 decimals (1 us), accelerometer
with 5 (1e-5 m/s^2) and gyroscope with 6 (1e-6 rad/s).

Errors
------
Every problem with a file's content raises :class:`RecordingError`, whose ``str`` is one line
``path:line: problem`` naming the 1-based physical line.
"""

from sensor_hub.recording.columns import REQUIRED_COLUMNS
from sensor_hub.recording.errors import RecordingError
from sensor_hub.recording.header import FORMAT_V1
from sensor_hub.recording.reader import Recording, RecordingReader, read_recording
from sensor_hub.recording.writer import RecordingWriter, write_recording

__all__ = [
    "FORMAT_V1",
    "REQUIRED_COLUMNS",
    "Recording",
    "RecordingError",
    "RecordingReader",
    "RecordingWriter",
    "read_recording",
    "write_recording",
]
