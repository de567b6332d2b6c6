"""The migrations, one module per revision, named ``NNNN_slug.py``; Alembic loads them by path
(this file only makes the folder a package, so that it ships in the wheel)."""
