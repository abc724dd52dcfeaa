"""The decision tree of appendix 1 (incident or calamity?), as data: loaded once by a data
migration, editable afterwards. Texts are Dutch, as the 1st line reads them.

key: (question, explanation, yes → key or outcome, no → key or outcome); the first entry
is the first question. Outcomes are "incident" and "calamity"."""

TREE = {
    "beveiliging": (
        "Is er sprake van een beveiligingsincident of een (vermoedelijke) virusuitbraak die zich verspreidt?",
        "Bijvoorbeeld een zero-day virus, ransomware, een datalek of een inbraak op systemen (§4.7.1).",
        "calamity", "kritieke-dienst",
    ),
    "kritieke-dienst": (
        "Is een kritieke dienst uitgevallen of ernstig verstoord?",
        "BRP, BAG, e-mail, authenticatie (inloggen), opslag (netwerkschijven), netwerk of connectiviteit.",
        "duur", "meerdere-deelnemers",
    ),
    "meerdere-deelnemers": (
        "Zijn meerdere deelnemers of een groot deel van de gebruikers van één deelnemer getroffen?",
        "Denk aan alle werkplekken van een locatie of een hele gemeente.",
        "duur", "incident",
    ),
    "duur": (
        "Duurt de verstoring naar verwachting langer dan 4 uur, of is de oorzaak nog onbekend?",
        "Ernstige verstoringen die langere tijd duren of een grote impact hebben (§5.2).",
        "calamity", "dienstverlening",
    ),
    "dienstverlening": (
        "Heeft de verstoring directe gevolgen voor de dienstverlening aan burgers of bedrijven?",
        "Bijvoorbeeld de balie burgerzaken, uitkeringen of verkiezingen.",
        "calamity", "incident",
    ),
}

OUTCOMES = {"incident", "calamity"}


def load(apps):
    node_model = apps.get_model("servicedesk", "DecisionTreeNode")
    if node_model.objects.exists():
        return
    nodes = {}
    for position, (key, (question, help_text, _yes, _no)) in enumerate(TREE.items()):
        nodes[key] = node_model(key=key, question=question, help_text=help_text, is_root=position == 0)
    # Outcome placeholders first (the check constraints need one way out per answer).
    for key, (_question, _help, yes, no) in TREE.items():
        node = nodes[key]
        node.yes_outcome = yes if yes in OUTCOMES else "incident"
        node.no_outcome = no if no in OUTCOMES else "incident"
        node.save()
    for key, (_question, _help, yes, no) in TREE.items():
        node = nodes[key]
        node.yes_next, node.yes_outcome = (None, yes) if yes in OUTCOMES else (nodes[yes], "")
        node.no_next, node.no_outcome = (None, no) if no in OUTCOMES else (nodes[no], "")
        node.save()
