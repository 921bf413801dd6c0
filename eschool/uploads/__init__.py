"""The upload store of the shell: every uploaded file of every package, and who may fetch it.

- ``store`` — files on disk, named by the sha256 of their content, received as a stream;
- ``sniff`` — a file's media type from its first bytes;
- ``models`` — the ``Upload`` table (one row per uploader of a content);
- ``queries`` — the one access rule (:func:`~eschool.uploads.queries.upload_for`);
- ``services`` — storing an upload; ``routes`` — ``POST /api/v1/assets`` and serving a file.

Domain packages decide who else may see a file through *file audiences*: async callables
``(session, actor, sha256) -> bool`` that each package appends to ``app.state.file_audiences``
in its routes' ``lifespan``.
"""
