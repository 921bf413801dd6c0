"""Lessons and questions in and out of eschool, in our own zip and in the field's formats.

- ``eschool_zip`` — our open exchange zip (``lesson.json`` + ``assets/``), lossless;
- ``report`` — what every reader returns: the lesson it could build, its files, and the items
  it skipped with the reason (:class:`~lessons.exchange.report.ImportReport`);
- ``safe_zip`` / ``safe_xml`` — reading untrusted packages and XML (sizes, ratios, paths,
  entities, depth) — shared by every reader;
- ``qti3`` (QTI 3.0 write and read), ``qti21`` (QTI 2.1 read), ``cc13`` (IMS Common Cartridge
  1.3 write and read), ``gift`` and ``aiken`` (Moodle's question-bank texts, read);
- ``detect`` — which format an uploaded file is in, and the reader for it.
- helpers of the readers: ``qti_items`` (one QTI 2.x/3.0 item → one question, shared by
  the QTI readers), ``ims_package`` (an IMS package's manifest, hrefs and files),
  ``xhtml_text`` (item bodies and pages → our simple Markdown), ``cc_qti12`` (Common
  Cartridge's QTI 1.2 profile).
"""
