"""The latent factors of the known-latent benchmark: what each is called in a discussion (context
phrasings), how an individual says it (action paraphrases, deliberately worded differently and free of
every factor's aliases, so a trace must *infer* the cause to name it), and the aliases a trace may use to
name it (the matcher's vocabulary). All text is the project's own.

    >>> sorted(FACTORS)
    ['budget', 'business', 'children', 'environment', 'heritage', 'noise', 'safety']
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    name: str
    label: str                              # how the ground-truth reasoning names it
    aliases: tuple[str, ...]                # words that name it in a trace (lowercase, whole words)
    context: dict[str, tuple[str, ...]]     # "for" / "against": how a speaker raises it
    action: dict[str, tuple[str, ...]]      # "for" / "against": how the individual argues from it


FACTORS: dict[str, Factor] = {f.name: f for f in [
    Factor("budget", "the city's money",
           ("budget", "budgets", "cost", "costs", "costly", "expensive", "cheap", "money", "spending", "spend",
            "afford", "affordable", "taxpayer", "taxpayers", "taxes", "tax", "funds", "funding", "price", "dollars",
            "fiscal", "financial", "finances"),
           {"for": ("A state grant pays for nearly all of it; the general fund would barely notice.",
                    "The estimate came in far under what we set aside for the year."),
            "against": ("The engineers put the price at close to four million dollars from the general fund.",
                        "It would eat most of next year's reserve, according to the finance office.")},
           {"for": ("it hardly touches our own accounts", "the numbers work for once",
                    "we can pay for this without strain"),
            "against": ("that is more than this city can carry", "the bill is simply too large for this city",
                        "our reserve would be gone in one stroke")}),
    Factor("safety", "people's safety",
           ("safety", "safe", "safer", "unsafe", "danger", "dangerous", "accident", "accidents", "injury",
            "injuries", "risk", "risks", "risky", "hazard", "hazards", "crash", "crashes", "harm"),
           {"for": ("Police expect fewer collisions at that corner once it is done.",
                    "The fire marshal says it would remove a known trouble spot."),
            "against": ("The traffic study warns of more collisions at the junction.",
                        "The fire marshal is worried it blocks emergency access.")},
           {"for": ("nobody should get hurt crossing there again", "that corner stops being a menace"),
            "against": ("someone is going to get hurt", "I will not gamble with people's wellbeing for this",
                        "people on foot would not stand a chance there")}),
    Factor("children", "the children and families",
           ("children", "child", "kids", "kid", "families", "family", "school", "schools", "students", "student",
            "youth", "young", "parents", "pupils"),
           {"for": ("The elementary school next door says its pupils would use it every day.",
                    "Parents' groups have asked for exactly this for years."),
            "against": ("It would take over the playground behind the elementary school.",
                        "The school board says it cuts the bus route the pupils depend on.")},
           {"for": ("the little ones in this town deserve it", "this is for the next generation",
                    "every parent I talk to wants it"),
            "against": ("it takes something away from the youngest people here", "mothers and fathers would lose out",
                        "the little ones would be the ones to lose")}),
    Factor("environment", "the environment",
           ("environment", "environmental", "green", "pollution", "polluting", "emissions", "trees", "tree",
            "climate", "nature", "air", "wildlife", "carbon", "ecological", "sustainable"),
           {"for": ("It would cut the city's emissions noticeably, by the planners' numbers.",
                    "The plan adds two hundred new trees around the site."),
            "against": ("Forty tall oaks would have to come down for it.",
                        "The impact study expects dirtier air along the river.")},
           {"for": ("it is good for the land we all share", "the river and the woods come out ahead",
                    "it makes this place cleaner"),
            "against": ("we would be paving over what little wild ground is left", "the river would suffer for it",
                        "it leaves the place dirtier than we found it")}),
    Factor("business", "the local shops",
           ("business", "businesses", "shops", "shop", "shopkeepers", "merchants", "merchant", "economy",
            "economic", "customers", "customer", "stores", "store", "trade", "commerce", "sales", "jobs"),
           {"for": ("The merchants' association expects more foot traffic on the main street.",
                    "Three new stores have said they would open nearby."),
            "against": ("Shop owners on the street say they would lose their parking and their customers.",
                        "The merchants' association fears a year of lost sales during construction.")},
           {"for": ("the people who keep Main Street alive would do well by it",
                    "it brings life back to the storefronts"),
            "against": ("the folks who run the storefronts would be hurt", "Main Street would empty out",
                        "it puts livelihoods on the line")}),
    Factor("heritage", "the town's historic character",
           ("heritage", "historic", "historical", "history", "character", "tradition", "traditional", "landmark",
            "landmarks", "old", "preservation", "preserve", "century"),
           {"for": ("It restores the 1890 facade exactly as it was.",
                    "The historical society has endorsed the design."),
            "against": ("It would tear up the cobblestones laid in 1870.",
                        "The historical society says it would spoil the old square.")},
           {"for": ("it gives us back what our grandparents built", "the square would look like itself again"),
            "against": ("we only get one square like ours and this would ruin it",
                        "what our grandparents built deserves better",
                        "some things you cannot rebuild once they are gone")}),
    Factor("noise", "peace and quiet",
           ("noise", "noisy", "quiet", "loud", "peace", "peaceful", "disturbance", "sleep", "racket", "din",
            "decibels", "calm"),
           {"for": ("The new surface would make the road much quieter at night.",
                    "It moves the delivery trucks away from the houses."),
            "against": ("Neighbours expect music until two in the morning, every weekend.",
                        "The generators would run next to the houses all night.")},
           {"for": ("people on that street could finally rest at night",
                    "it gives the neighbourhood its evenings back"),
            "against": ("nobody on that street would get a night's rest",
                        "the neighbours would never hear themselves think",
                        "the evenings there would be ruined")}),
]}


PROPOSALS = (
    ("the bike lane on Harbor Road", "the bike lane"), ("the new skate park", "the skate park"),
    ("extending the library's evening hours", "the library hours"), ("a night market downtown", "the night market"),
    ("solar panels on City Hall", "the solar panels"), ("repaving the town square", "the repaving"),
    ("a parking garage on Elm Street", "the garage"), ("closing Mill Street to cars on weekends", "the street closure"),
    ("a dog park by the river", "the dog park"), ("a summer music festival", "the festival"),
    ("a new bus depot", "the depot"), ("widening the Route 9 bridge", "the bridge"),
)

SPEAKERS = ("Clerk Haines", "Deputy Mayor Ortiz", "Planner Adeyemi", "Resident Kim Boateng", "Treasurer Liu",
            "Resident Pat Novak")
CHAIR = "Chair Whitfield"
