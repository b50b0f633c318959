"""Imports of customers and products from spreadsheets, and exports of invoices by period.

``tables`` reads and writes the files, ``imports`` and ``exports`` know the resources, and
``runs`` carries an import or export from the request that asks for it to the worker's job.
"""
