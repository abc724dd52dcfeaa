from django.db import models
from django.utils.translation import gettext_lazy as _


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", _("open for consent")
    EFFECTIVE = "effective", _("effective")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ConsentDecision(models.TextChoices):
    CONSENTED = "consented", _("consented")
    DECLINED = "declined", _("declined")


PROPOSAL_STATUS_COLOURS = {
    ProposalStatus.DRAFT: "secondary",
    ProposalStatus.OPEN: "primary",
    ProposalStatus.EFFECTIVE: "success",
    ProposalStatus.REJECTED: "danger",
    ProposalStatus.WITHDRAWN: "dark",
}
