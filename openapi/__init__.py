"""The contract, as package data: installed as ``sleeve.contract`` (see pyproject.toml).

``sleeve.yaml`` is the root of the OpenAPI 3.1 document; ``sleeve.app.contract_path`` finds
it through the package, so a checkout and an installed wheel load the same file.
"""
