"""Fiscal engine on satcfdi: no Flask, no SQLAlchemy.

Core (documents, money, CSD, validation, stamping):

- ``types``: input dataclasses shaped like Facturapi's invoice body (``InvoiceInput.from_dict``);
  ``reading``: the rules that read untrusted values into them (pydantic, and by hand for
  the SAT complements).
- ``money``: Decimal line and document figures that reconcile to the cent.
- ``csd``: ``load_csd(cer, key, password, require_sat_chain=...)``; coded refusals.
- ``testcsd``: SAT-shaped test CSDs, FIEL/expired/mismatched variants, the test PAC certificate.
- ``documents``: build + seal CFDI 4.0 (I, E, T, global), Pagos 2.0, Retenciones 2.0 and the
  signed cancellation request; returns ``BuiltDocument`` (tree, xml, cadena original, totals).
- ``validation``: SAT XSD with giant catalogs checked in Python (same verdicts, ~40x faster).
- ``pac``: ``PAC`` protocol, ``LocalTestPAC``, live PACs via satcfdi, seal/TFD verification.
- ``errors``: the machine-readable codes every refusal carries.

Typical flow: ``build_invoice(csd, issuer, data)`` → ``pac.stamp(document)`` → store
``StampResult.xml`` (the legal document, never edited afterwards).
"""
