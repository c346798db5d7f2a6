"""``python -m sensor_hub`` runs the ``posture-hub`` command line."""

from sensor_hub.cli import main

raise SystemExit(main())
