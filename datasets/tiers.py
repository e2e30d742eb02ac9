"""Reward tiers of the score: what a score opens or closes, as press reports describe it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["reported", "speculated"]


@dataclass(frozen=True)
class Tier:
    """A threshold of the score and what reaching it gives.

    Parameters
    ----------
    name : str
        Short name used as a key and a column name (``reaches_<name>``).
    min_score : float
        Lowest score that reaches the tier.
    perk : str
        What the tier gives, in plain words.
    status : {"reported", "speculated"}
        Whether press reports describe the perk as operating or only speculate about it.
    note : str
        Where the claim comes from, in a few words.
    """

    name: str
    min_score: float
    perk: str
    status: Status
    note: str


RESTRICTED_BELOW = 550.0
RESTRICTED_NOTE = (
    "Below 550 press reports speculate about restrictions: slower services, no deposit-free "
    "offers, lower visibility. No operator has confirmed them."
)

TIERS: tuple[Tier, ...] = (
    Tier("standard", 550, "No speculated restrictions", "speculated",
         "Press reports speculate that scores below 550 bring restrictions."),
    Tier("dating", 588, "Profile shown prominently on a dating site", "reported",
         "Reported partnership of a dating site with the score operator."),
    Tier("deposit_free", 600, "Deposit-free rentals and hotel check-in", "reported",
         "Reported perks for rentals of bikes, umbrellas, power banks and hotel rooms."),
    Tier("car_rental", 650, "Car rental without a deposit", "reported",
         "Reported perk of car-rental partners."),
    Tier("visa_singapore", 700, "Visa facilitation (Singapore)", "reported",
         "Reported simplified visa application for Singapore."),
    Tier("visa_luxembourg", 750, "Visa facilitation (Luxembourg)", "reported",
         "Reported simplified visa application for Luxembourg."),
)

