"""French first, English on a switch: every text of IQEA, in both languages.

The texts every demo site shares (layout, errors, « transmis ») are those of
:mod:`demo_rp.common.i18n`; IQEA's own come after them and win. A test checks that every key used
in the templates and the code exists in both languages.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from demo_rp.common.i18n import LANGUAGES, language, t
from demo_rp.common.i18n import TEXTS as COMMON_TEXTS

__all__ = ["LANGUAGES", "LANGUAGE_COOKIE", "TEXTS", "format_tonnes", "init_app", "language", "t"]

LANGUAGE_COOKIE = "iqea_lang"

RIGHT_OPERATOR_FR = (
    "Transmettre la déclaration annuelle des émissions atmosphériques – "
    "Identification de l'exploitant"
)
RIGHT_OPERATOR_EN = "Submit the annual air emissions report – Operator identification"
RIGHT_VERIFIER_FR = (
    "Transmettre la déclaration annuelle des émissions atmosphériques – "
    "Identification du vérificateur"
)
RIGHT_VERIFIER_EN = "Submit the annual air emissions report – Verifier identification"
MINISTRY_NAME = (
    "Ministère de l'Environnement, de la Lutte contre les changements climatiques, "
    "de la Faune et des Parcs"
)

TEXTS: dict[str, tuple[str, str]] = {
    **COMMON_TEXTS,
    # -- layout ------------------------------------------------------------------------------
    "ministry_name": (MINISTRY_NAME, MINISTRY_NAME),
    "ministry_short": ("Environnement Québec", "Environnement Québec"),
    "service_name": (
        "Inventaire québécois des émissions atmosphériques (IQEA)",
        "Québec Air Emissions Inventory (IQEA)",
    ),
    "service_short": ("IQEA", "IQEA"),
    "service_tagline": (
        "Prestation électronique de services – déclaration annuelle des émissions",
        "Electronic service delivery – annual emissions report",
    ),
    "on_behalf_of": ("pour le compte de {name}", "on behalf of {name}"),
    "nav_reports": ("Déclarations", "Reports"),
    "nav_verification": ("Vérification", "Verification"),
    "footer_help": (
        "Aide technique clicSÉQUR : 1\u00a0866\u00a0423-3234. Questions sur la déclaration : "
        "Direction de la qualité de l'air du Ministère.",
        "clicSÉQUR technical support: 1\u00a0866\u00a0423-3234. Questions about the report: "
        "the Ministère's air quality branch.",
    ),
    "neq_short": ("NEQ", "NEQ"),
    # -- home (anonymous) --------------------------------------------------------------------
    "home_title": ("Accueil", "Home"),
    "home_heading": (
        "Inventaire québécois des émissions atmosphériques",
        "Québec Air Emissions Inventory",
    ),
    "home_lead": (
        "Les entreprises tenues de déclarer leurs émissions atmosphériques transmettent chaque "
        "année leur déclaration au Ministère au moyen de la prestation électronique de services "
        "de l'IQEA. Les vérificateurs désignés par l'entreprise y approuvent la déclaration "
        "transmise.",
        "Companies that must report their air emissions submit their report to the Ministère "
        "every year through the IQEA electronic service delivery. The verifiers the company "
        "designates approve the submitted report there.",
    ),
    "home_access_title": ("Accéder au service", "Access the service"),
    "home_access_text": (
        "Connectez-vous avec votre compte clicSÉQUR – Entreprises : votre code d'utilisateur, "
        "votre mot de passe et le code de vérification envoyé à votre adresse courriel.",
        "Sign in with your clicSÉQUR – Entreprises account: your user code, your password and "
        "the verification code sent to your email address.",
    ),
    "sign_in_button": ("Se connecter avec clicSÉQUR", "Sign in with clicSÉQUR"),
    "home_access_hint": (
        "Vous serez dirigé vers clicSÉQUR – Entreprises, puis ramené ici.",
        "You will be taken to clicSÉQUR – Entreprises, then brought back here.",
    ),
    "home_before_title": ("Avant de commencer", "Before you start"),
    "home_before_step_register": (
        "Le responsable des services électroniques (RSE) de l'entreprise l'inscrit aux services "
        "électroniques du Ministère.",
        "The company's electronic services manager (ESM) registers it for the Ministère's "
        "online services.",
    ),
    "home_before_step_account": (
        "Il crée un dossier d'utilisateur pour chaque personne qui remplira la déclaration.",
        "The ESM creates a user file for each person who will fill in the report.",
    ),
    "home_before_step_proxy": (
        "Il crée une procuration donnant accès à l'IQEA : interne pour les employés, externe "
        "pour un consultant ou un vérificateur.",
        "The ESM creates a proxy giving access to IQEA: internal for employees, external for a "
        "consultant or a verifier.",
    ),
    "home_before_step_assign": (
        "Il assigne la procuration aux utilisateurs concernés (le RSE du mandataire le fait "
        "pour une procuration externe).",
        "The ESM assigns the proxy to the users concerned (the agent's ESM does so for an "
        "external proxy).",
    ),
    "home_proxies_title": ("Les droits d'accès à l'IQEA", "IQEA access rights"),
    "right_operator": (RIGHT_OPERATOR_FR, RIGHT_OPERATOR_EN),
    "right_verifier": (RIGHT_VERIFIER_FR, RIGHT_VERIFIER_EN),
    "home_proxies_operator": (
        "Pour préparer et transmettre la déclaration annuelle de l'entreprise.",
        "To prepare and submit the company's annual report.",
    ),
    "home_proxies_verifier": (
        "Pour le vérificateur tiers qui approuve la déclaration transmise (procuration externe, "
        "avec restriction).",
        "For the third-party verifier who approves the submitted report (external proxy, with "
        "restriction).",
    ),
    # -- home (signed in) --------------------------------------------------------------------
    "dashboard_title": ("Tableau de bord", "Dashboard"),
    "dashboard_heading": ("Bonjour, {name}", "Hello, {name}"),
    "acting_for_title": ("Vous agissez pour", "You act for"),
    "enterprise_label": ("Entreprise", "Company"),
    "neq_label": ("Numéro d'entreprise du Québec (NEQ)", "Québec enterprise number (NEQ)"),
    "agent_label": ("Mandataire", "Agent"),
    "role_label": ("Rôle", "Role"),
    "role_esm": (
        "Responsable des services électroniques (RSE)",
        "Electronic services manager (ESM)",
    ),
    "role_user": ("Utilisateur", "User"),
    "source_label": ("Origine des droits", "Origin of the rights"),
    "source_esm": (
        "Vous êtes le RSE de l'entreprise : vous détenez tous ses droits.",
        "You are the company's ESM: you hold all its rights.",
    ),
    "source_internal": ("Procuration interne no {id}", "Internal proxy no. {id}"),
    "source_external": ("Procuration externe no {id}", "External proxy no. {id}"),
    "proxy_valid_until": ("valide jusqu'au {date}", "valid until {date}"),
    "rights_title": ("Vos droits à l'IQEA", "Your IQEA rights"),
    "right_label_operator": (RIGHT_OPERATOR_FR, RIGHT_OPERATOR_EN),
    "right_label_verifier": (RIGHT_VERIFIER_FR, RIGHT_VERIFIER_EN),
    "rights_none": ("Aucun droit à l'IQEA.", "No IQEA right."),
    # -- a rights change pushed by clicSÉQUR (security event) ---------------------------------
    "rights_changed_title": ("Vos droits ont changé", "Your rights have changed"),
    "rights_changed_received": (
        "clicSÉQUR nous en a informés le {when}. Vos droits à l'IQEA sont maintenant :",
        "clicSÉQUR told us on {when}. Your IQEA rights are now:",
    ),
    "rights_changed_for": ("Entreprise NEQ {neq} :", "Company NEQ {neq}:"),
    "rights_changed_none": (
        "Aucun : vos droits ne permettent plus d'utiliser l'IQEA.",
        "None: your rights no longer allow you to use IQEA.",
    ),
    "rights_changed_session_ended": (
        "Votre session à l'IQEA a donc pris fin. Si on vous accorde de nouveau des droits, "
        "connectez-vous de nouveau.",
        "Your IQEA session has therefore ended. If you are given rights again, sign in again.",
    ),
    "what_you_can_do": ("Ce que vous pouvez faire", "What you can do"),
    "task_operator_title": ("Déclarer les émissions atmosphériques", "Report air emissions"),
    "task_operator_text": (
        "Préparez la déclaration annuelle de l'entreprise, enregistrez-la comme brouillon, "
        "puis transmettez-la au Ministère.",
        "Prepare the company's annual report, save it as a draft, then submit it to the Ministère.",
    ),
    "task_verifier_title": ("Vérifier et approuver les déclarations", "Verify and approve reports"),
    "task_verifier_text": (
        "Consultez les déclarations transmises par l'entreprise et approuvez-les.",
        "Review the reports the company submitted and approve them.",
    ),
    # -- no rights ---------------------------------------------------------------------------
    "no_rights_page_title": ("Accès non autorisé", "Access not authorized"),
    "no_rights_title": (
        "Vous ne détenez aucun droit d'accès à l'IQEA",
        "You hold no IQEA access right",
    ),
    "your_enterprise": ("votre entreprise", "your company"),
    "no_rights_text": (
        # No final period: the template ends the sentence after the name (« inc. »).
        "Votre compte clicSÉQUR ne vous donne pas accès à l'IQEA pour {enterprise}",
        "Your clicSÉQUR account does not give you access to IQEA for {enterprise}",
    ),
    "no_rights_ask": (
        "Demandez au responsable des services électroniques (RSE) de l'entreprise une "
        "procuration comportant, pour le Ministère, l'un de ces droits :",
        "Ask the company's electronic services manager (ESM) for a proxy that includes, for "
        "the Ministère, one of these rights:",
    ),
    "no_rights_operator": (
        f"« {RIGHT_OPERATOR_FR} », pour préparer et transmettre la déclaration ;",
        f"“{RIGHT_OPERATOR_EN}”, to prepare and submit the report;",
    ),
    "no_rights_verifier": (
        f"« {RIGHT_VERIFIER_FR} », pour approuver la déclaration à titre de vérificateur.",
        f"“{RIGHT_VERIFIER_EN}”, to approve the report as a verifier.",
    ),
    "no_rights_external": (
        "Si vous êtes consultant ou vérificateur, l'entreprise cliente crée une procuration "
        "externe au nom de votre firme, dont le RSE vous l'assigne.",
        "If you are a consultant or a verifier, the client company creates an external proxy "
        "in your firm's name, and your firm's ESM assigns it to you.",
    ),
    "no_rights_after": (
        "Une fois la procuration assignée, déconnectez-vous puis reconnectez-vous.",
        "Once the proxy is assigned, sign out and sign in again.",
    ),
    "right_needed": (
        "Cette page demande le droit « {right} », que vous ne détenez pas.",
        "This page requires the right “{right}”, which you do not hold.",
    ),
    "right_needed_ask": (
        "Demandez-le au responsable des services électroniques {of_enterprise}",
        "Ask the electronic services manager {of_enterprise} for it",
    ),
    "access_denied_text": (
        "clicSÉQUR ne nous a pas transmis votre identité : vous avez annulé, ou vous ne "
        "détenez aucune procuration donnant accès à l'IQEA. Demandez au responsable des "
        "services électroniques (RSE) de l'entreprise une procuration comportant le droit "
        "d'exploitant ou de vérificateur de l'IQEA.",
        "clicSÉQUR did not send us your identity: you cancelled, or you hold no proxy giving "
        "access to IQEA. Ask the company's electronic services manager (ESM) for a proxy with "
        "the IQEA operator or verifier right.",
    ),
    # -- reports -----------------------------------------------------------------------------
    "reports_title": ("Déclarations annuelles", "Annual reports"),
    "reports_lead": (
        "Déclarations des émissions atmosphériques {of_enterprise} (NEQ {neq}).",
        "Air emissions reports {of_enterprise} (NEQ {neq}).",
    ),
    "new_report_title": ("Préparer une déclaration", "Prepare a report"),
    "field_year": ("Année visée par la déclaration", "Year covered by the report"),
    "field_year_hint": (
        "Une déclaration par année civile ; vous pourrez l'enregistrer avant de la transmettre.",
        "One report per calendar year; you may save it before submitting it.",
    ),
    "new_report_button": ("Préparer la déclaration", "Prepare the report"),
    "reports_existing": ("Déclarations de l'entreprise", "The company's reports"),
    "reports_table_caption": ("Déclarations {of_enterprise}", "Reports {of_enterprise}"),
    "reports_none": (
        "Aucune déclaration pour le moment.",
        "No report yet.",
    ),
    "column_year": ("Année", "Year"),
    "column_establishment": ("Établissement", "Establishment"),
    "column_status": ("État", "Status"),
    "column_updated": ("Dernière modification", "Last change"),
    "column_submitted": ("Transmise le", "Submitted on"),
    "column_action": ("Action", "Action"),
    "action_continue": ("Continuer", "Continue"),
    "action_view": ("Consulter", "View"),
    "action_review": ("Examiner et approuver", "Review and approve"),
    "status_brouillon": ("Brouillon", "Draft"),
    "status_transmis": ("Transmise", "Submitted"),
    "status_approuve": ("Approuvée", "Approved"),
    "report_title": ("Déclaration {year}", "{year} report"),
    "back_to_reports": ("Retour aux déclarations", "Back to the reports"),
    "back_to_list": ("Retour à la liste", "Back to the list"),
    "section_establishment": ("Établissement", "Establishment"),
    "section_emissions": ("Émissions de l'année {year}", "Emissions in {year}"),
    "section_emissions_hint": (
        "En tonnes métriques, au plus trois décimales (par exemple 1\u00a0250,5).",
        "In metric tonnes, at most three decimals (for example 1,250.5).",
    ),
    "field_establishment_name": ("Nom de l'établissement principal", "Main establishment name"),
    "field_establishment_name_hint": (
        "Tel qu'il figure à l'autorisation environnementale.",
        "As shown on the environmental authorization.",
    ),
    "field_establishment_count": ("Nombre d'établissements", "Number of establishments"),
    "field_establishment_count_hint": (
        "Établissements de l'entreprise visés par la déclaration.",
        "The company's establishments covered by the report.",
    ),
    "field_co2_tonnes": ("Dioxyde de carbone (CO₂)", "Carbon dioxide (CO₂)"),
    "field_co2_tonnes_hint": ("Tonnes émises dans l'année.", "Tonnes emitted in the year."),
    "field_nox_tonnes": ("Oxydes d'azote (NOx)", "Nitrogen oxides (NOx)"),
    "field_nox_tonnes_hint": ("Tonnes émises dans l'année.", "Tonnes emitted in the year."),
    "field_particulate_tonnes": ("Particules totales", "Total particulate matter"),
    "field_particulate_tonnes_hint": (
        "Tonnes émises dans l'année.",
        "Tonnes emitted in the year.",
    ),
    "tonnes_unit": ("t", "t"),
    "submit_notice": (
        "Une fois transmise, la déclaration ne peut plus être modifiée ; elle attend "
        "l'approbation du vérificateur.",
        "Once submitted, the report can no longer be changed; it awaits the verifier's approval.",
    ),
    "submit_button": ("Transmettre la déclaration", "Submit the report"),
    "save_button": ("Enregistrer le brouillon", "Save the draft"),
    "cancel_link": ("Annuler", "Cancel"),
    "history_title": ("Historique", "History"),
    "history_updated": ("Modifiée par {name} le {when}", "Changed by {name} on {when}"),
    "history_submitted": ("Transmise par {name} le {when}", "Submitted by {name} on {when}"),
    "history_approved": ("Approuvée par {name} le {when}", "Approved by {name} on {when}"),
    "history_approved_agent": (
        "Approuvée par {name} ({agent}) le {when}",
        "Approved by {name} ({agent}) on {when}",
    ),
    "report_content_title": ("Contenu de la déclaration", "Content of the report"),
    "approve_title": ("Approuver la déclaration", "Approve the report"),
    "approve_text": (
        "En approuvant, vous confirmez avoir vérifié la déclaration {year} {of_enterprise}",
        "By approving, you confirm that you verified the {year} report {of_enterprise}",
    ),
    "approve_as_agent": (
        "Vous approuvez à titre de vérificateur : {name}, pour le compte {of_agent}",
        "You approve as the verifier: {name}, on behalf {of_agent}",
    ),
    "approve_button": ("Approuver la déclaration", "Approve the report"),
    "approve_own_submission": (
        "Vous avez transmis cette déclaration : un autre vérificateur doit l'approuver.",
        "You submitted this report: another verifier must approve it.",
    ),
    "verification_title": ("Vérification des déclarations", "Verification of reports"),
    "verification_lead": (
        "Déclarations transmises par {enterprise} (NEQ {neq}).",
        "Reports submitted by {enterprise} (NEQ {neq}).",
    ),
    "verification_agent": (
        "Vous agissez comme vérificateur pour le compte {of_agent}",
        "You act as the verifier on behalf {of_agent}",
    ),
    "verification_none": (
        "Aucune déclaration transmise pour le moment.",
        "No report submitted yet.",
    ),
    # -- messages after an action ------------------------------------------------------------
    "flash_saved": ("Le brouillon est enregistré.", "The draft is saved."),
    "flash_submitted": (
        "La déclaration est transmise au Ministère.",
        "The report is submitted to the Ministère.",
    ),
    "flash_approved": ("La déclaration est approuvée.", "The report is approved."),
    "flash_not_editable": (
        "Cette déclaration a été transmise : elle ne peut plus être modifiée.",
        "This report was submitted: it can no longer be changed.",
    ),
    "flash_not_submitted": (
        "Seule une déclaration transmise peut être approuvée.",
        "Only a submitted report can be approved.",
    ),
    "flash_signed_out": (
        "Vous êtes déconnecté de l'IQEA et de clicSÉQUR.",
        "You are signed out of IQEA and clicSÉQUR.",
    ),
    # -- form errors -------------------------------------------------------------------------
    "error_year_required": ("Choisissez l'année.", "Choose the year."),
    "error_year_invalid": (
        "L'année doit être un nombre, par exemple 2025.",
        "The year must be a number, for example 2025.",
    ),  # noqa: E501
    "error_year_range": (
        "Choisissez l'une des années proposées.",
        "Choose one of the years offered.",
    ),
    "error_establishment_name_required": (
        "Entrez le nom de l'établissement principal.",
        "Enter the main establishment name.",
    ),
    "error_establishment_name_length": (
        "Le nom de l'établissement doit compter de 2 à 150 caractères.",
        "The establishment name must have 2 to 150 characters.",
    ),
    "error_establishment_count_required": (
        "Entrez le nombre d'établissements.",
        "Enter the number of establishments.",
    ),
    "error_establishment_count_number": (
        "Le nombre d'établissements doit être un nombre entier, par exemple 2.",
        "The number of establishments must be a whole number, for example 2.",
    ),
    "error_establishment_count_range": (
        "Le nombre d'établissements doit être compris entre 1 et 9\u00a0999.",
        "The number of establishments must be between 1 and 9,999.",
    ),
    "error_co2_tonnes_required": (
        "Entrez les émissions de CO₂, en tonnes (0 s'il n'y en a pas).",
        "Enter the CO₂ emissions, in tonnes (0 if none).",
    ),
    "error_nox_tonnes_required": (
        "Entrez les émissions de NOx, en tonnes (0 s'il n'y en a pas).",
        "Enter the NOx emissions, in tonnes (0 if none).",
    ),
    "error_particulate_tonnes_required": (
        "Entrez les émissions de particules, en tonnes (0 s'il n'y en a pas).",
        "Enter the particulate emissions, in tonnes (0 if none).",
    ),
    "error_tonnes_number": (
        "Entrez un nombre positif de tonnes, par exemple 1\u00a0250,5.",
        "Enter a positive number of tonnes, for example 1,250.5.",
    ),
    "error_tonnes_decimals": (
        "Entrez au plus trois décimales.",
        "Enter at most three decimals.",
    ),
    "error_tonnes_too_large": (
        "La quantité ne peut dépasser 100\u00a0000\u00a0000 tonnes.",
        "The quantity cannot exceed 100,000,000 tonnes.",
    ),
    # -- what the provider sent (IQEA's words for an enterprise's tokens) --------------------
    "transmitted_id_token_text": (
        "Signé par clicSÉQUR ; il dit qui vous êtes, pour quelle entreprise vous agissez et "
        "comment vous vous êtes authentifié.",
        "Signed by clicSÉQUR; it says who you are, which company you act for and how you "
        "signed in.",
    ),
    "transmitted_token_response_text": (
        "Les autres éléments de la réponse : portée accordée, droits détaillés "
        "(authorization_details) et échéance du jeton d'accès.",
        "The other parts of the answer: granted scope, detailed rights (authorization_details) "
        "and the access token's expiry.",
    ),
}


def format_tonnes(value: str) -> str:
    """« 1 250,5 » in French (narrow no-break space), "1,250.5" in English."""
    number = Decimal(value)
    text = f"{number:,f}"
    if language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


def init_app(app: Flask) -> None:
    """IQEA's own filter, beside the shared ones."""
    app.jinja_env.filters["tonnes"] = format_tonnes
