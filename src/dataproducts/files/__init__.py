"""The files port: every product version published as Parquet per run, and the reader-side check.

``publish``: after a nightly build, each product version the build made goes to
``<files>/runs/<run id>/data/{clear,masked}/<domain>/<alias>/`` (one file, or one per month of the product's
event time when large), each role's tree ``roles/<role>/<domain>/<alias>/`` holds hard links to exactly what
the access matrix lets it read, and ``manifest.json`` (written last) lists every file with its checksum,
size, row count and schema. ``verify``: ``dp verify PATH`` checks a run folder, or a copy of one, against its
manifest. ``manifest``: the manifest's typed model, shared by both.
"""
