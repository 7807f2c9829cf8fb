"""The sales judges: what the catalog, the prices and the customer's decision let the rules check, one per file.

Importing this package hands them to the panel's registry with the gates they decide.
"""
from salesgen.judge.base import add_judges

add_judges(__name__, {
    "outcome": "the recorded outcome agrees with the words",
    "decision": "a purchase within budget (or the allowed stretch) and list price, of a product named",
    "catalog": "no claim the catalog contradicts",
    "floor": "the private discount floor never stated or undercut",
})
