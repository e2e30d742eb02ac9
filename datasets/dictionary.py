"""The data dictionary: every column of a generated population, described for humans.

Each column has a label, a unit, a description, a role (model input, sensitive attribute,
target, ground truth or id), a privacy category, the Sesame pillar it belongs to and whether
the person it describes can change it (actionable) or not (immutable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["id", "input", "sensitive", "target", "truth"]
Privacy = Literal["identity", "financial", "behavioural", "social graph", "special category"]
Kind = Literal["numeric", "count", "share", "money", "bool", "category"]

PRIVACY_CATEGORIES: tuple[Privacy, ...] = (
    "identity",
    "financial",
    "behavioural",
    "social graph",
    "special category",
)

PRIVACY_NOTES: dict[str, str] = {
    "identity": "who you are and where you live",
    "financial": "money, credit and assets",
    "behavioural": "what you buy, use and post",
    "social graph": "who your friends are and how they score",
    "special category": "data GDPR Art. 9 protects: ethnic origin, political opinions",
}

PILLARS: dict[str, str] = {
    "credit history": "Whether you repaid loans and bills on time, and how long you had credit.",
    "fulfilment capacity": "What you own and earn: the ability to honour a contract.",
    "identity characteristics": "Verified identity, education, employer and place of residence.",
    "behaviour and preferences": "What you buy, on which device, and what you post online.",
    "interpersonal relationships": "Who your friends are, and how high their own scores are.",
}


@dataclass(frozen=True)
class Column:
    """One column of the population table.

    Parameters
    ----------
    name : str
        Column name in the table.
    label : str
        Short label for humans, used on every chart and table.
    unit : str
        Unit of the values ("" when none).
    description : str
        One sentence saying what the value means.
    role : {"id", "input", "sensitive", "target", "truth"}
        How audits use the column.
    privacy : str
        Privacy category.
    kind : str
        Value kind, used for formatting and for what-if widgets.
    actionable : bool
        Whether the person can reasonably change the value.
    pillar : str
        The Sesame pillar the column belongs to ("" for sensitive attributes and targets).
    categories : tuple of str
        Allowed values of a categorical column, in display order.
    """

    name: str
    label: str
    unit: str
    description: str
    role: Role
    privacy: Privacy
    kind: Kind = "numeric"
    actionable: bool = False
    pillar: str = ""
    categories: tuple[str, ...] = ()


def _c(*args: object, **kwargs: object) -> Column:
    return Column(*args, **kwargs)  # type: ignore[arg-type]


COLUMNS: tuple[Column, ...] = (
    _c("person_id", "Person", "", "Identifier of a person in the population.", "id", "identity",
       kind="count"),
    # sensitive attributes: generated for the audit, never model inputs
    _c("ethnicity", "Ethnicity", "", "Ethnic group; minority groups are smaller.", "sensitive",
       "special category", kind="category",
       categories=("majority", "minority_a", "minority_b")),
    _c("gender", "Gender", "", "Gender as registered.", "sensitive", "identity",
       kind="category", categories=("female", "male")),
    _c("age_group", "Age group", "years", "Age band.", "sensitive", "identity",
       kind="category", categories=("18-29", "30-44", "45-59", "60+")),
    _c("hukou", "Hukou", "", "Household registration: urban or rural.", "sensitive", "identity",
       kind="category", categories=("urban", "rural")),
    _c("political_opinion", "Political opinion", "",
       "Latent political opinion; never observed directly by the operator.", "sensitive",
       "special category", kind="category", categories=("supportive", "neutral", "critical")),
    # credit history
    _c("payment_history", "Bills paid on time", "share",
       "Share of bills and instalments paid on time over the last two years.", "input",
       "financial", kind="share", actionable=True, pillar="credit history"),
    _c("credit_utilisation", "Credit used", "share",
       "Share of available credit currently used.", "input", "financial", kind="share",
       actionable=True, pillar="credit history"),
    _c("credit_history_years", "Length of credit history", "years",
       "Years since the first credit line was opened.", "input", "financial",
       pillar="credit history"),
    _c("loan_defaults", "Loan defaults", "count", "Loans defaulted on in the last five years.",
       "input", "financial", kind="count", pillar="credit history"),
    # fulfilment capacity
    _c("monthly_income", "Monthly income", "yuan", "Declared monthly income.", "input",
       "financial", kind="money", actionable=True, pillar="fulfilment capacity"),
    _c("assets_value", "Assets", "yuan", "Value of savings, property and vehicles.", "input",
       "financial", kind="money", actionable=True, pillar="fulfilment capacity"),
    # identity characteristics
    _c("identity_verified", "Identity verified", "",
       "Whether the person completed identity verification with an official document.",
       "input", "identity", kind="bool", actionable=True, pillar="identity characteristics"),
    _c("education", "Education", "", "Highest completed education.", "input", "identity",
       kind="category", pillar="identity characteristics",
       categories=("primary", "secondary", "bachelor", "postgraduate")),
    _c("employer_type", "Employer", "", "Kind of employer.", "input", "identity",
       kind="category", actionable=True, pillar="identity characteristics",
       categories=("state", "private", "self_employed", "unemployed")),
    _c("district", "District of residence", "",
       "District of residence; moving home is not a reasonable demand.", "input", "identity",
       kind="category", pillar="identity characteristics",
       categories=("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8")),
    # behaviour and preferences
    _c("monthly_spending", "Monthly spending", "yuan", "Spending through the payment app.",
       "input", "behavioural", kind="money", actionable=True,
       pillar="behaviour and preferences"),
    _c("idle_purchase_share", "Share spent on video games", "share",
       "Share of spending on video games and other 'idle' purchases.", "input", "behavioural",
       kind="share", actionable=True, pillar="behaviour and preferences"),
    _c("patriotic_purchase_share", "Share spent on 'patriotic' goods", "share",
       "Share of spending on goods flagged as patriotic.", "input", "behavioural",
       kind="share", actionable=True, pillar="behaviour and preferences"),
    _c("device", "Phone", "", "Kind of phone used for the payment app.", "input",
       "behavioural", kind="category", actionable=True, pillar="behaviour and preferences",
       categories=("iphone", "android_mid", "android_budget")),
    _c("political_posts_flagged", "Flagged political posts", "count",
       "Posts flagged as political by a content filter in the last year.", "input",
       "special category", kind="count", actionable=True,
       pillar="behaviour and preferences"),
    # interpersonal relationships
    _c("n_friends", "Number of friends", "count", "Contacts in the payment app.", "input",
       "social graph", kind="count", actionable=True, pillar="interpersonal relationships"),
    _c("friends_mean_score", "Friends' mean score", "points",
       "Mean hidden score of the person's contacts.", "input", "social graph",
       actionable=True, pillar="interpersonal relationships"),
    _c("friends_recruited", "Friends recruited", "count",
       "Friends the person brought to the app.", "input", "social graph", kind="count",
       actionable=True, pillar="interpersonal relationships"),
    # targets
    _c("hidden_score", "Hidden score (no noise)", "points",
       "Score computed by the hidden rules, before noise and rounding.", "truth",
       "identity"),
    _c("score", "Score", "points", "The published score, 350-950.", "target", "identity"),
)

DICTIONARY: dict[str, Column] = {c.name: c for c in COLUMNS}
INPUTS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "input")
SENSITIVE: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.role == "sensitive")
CATEGORICAL: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "category")

TRUE_PREFIX = "true__"


def label(name: str) -> str:
    """Return the human label of a column, or the name itself when it is not in the dictionary.

    Parameters
    ----------
    name : str
        Column name; ``true__<feature>`` columns get "True contribution: <label>".

    Returns
    -------
    str
        Label for display.
    """
    if name.startswith(TRUE_PREFIX):
        return f"True contribution: {label(name[len(TRUE_PREFIX):])}"
    column = DICTIONARY.get(name)
    return column.label if column else name
