"""Real servers for the tests, each started on a free loopback port and stopped afterwards.

Every server here is the real program from Debian's packages (installed by ``scripts/test``);
nothing is mocked.  Fixtures that use them live in ``tests/conftest.py``.
"""
