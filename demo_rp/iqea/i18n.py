"""French first, English on a switch: every text of the site, in both languages.

A small dictionary rather than gettext catalogues: the site has a few pages, and a test checks
that every key used in the templates and the code exists in both languages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import Flask, current_app, g, has_request_context, redirect, request, url_for
from werkzeug.wrappers import Response

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "iqea_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
QUEBEC = ZoneInfo("America/Montreal")

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
    # -- layout ------------------------------------------------------------------------------
    "skip_link": ("Passer au contenu principal", "Skip to main content"),
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
    "language_nav": ("Langue", "Language"),
    "other_language_name": ("English", "Français"),
    "on_behalf_of": ("pour le compte de {name}", "on behalf of {name}"),
    "sign_out": ("Se déconnecter", "Sign out"),
    "main_menu": ("Menu principal", "Main menu"),
    "nav_home": ("Accueil", "Home"),
    "nav_reports": ("Déclarations", "Reports"),
    "nav_verification": ("Vérification", "Verification"),
    "nav_transmitted": ("Données transmises par clicSÉQUR", "Data sent by clicSÉQUR"),
    "useful_links": ("Liens utiles", "Useful links"),
    "footer_help": (
        "Aide technique clicSÉQUR : 1\u00a0866\u00a0423-3234. Questions sur la déclaration : "
        "Direction de la qualité de l'air du Ministère.",
        "clicSÉQUR technical support: 1\u00a0866\u00a0423-3234. Questions about the report: "
        "the Ministère's air quality branch.",
    ),
    "footer_link_help": ("Avant de commencer", "Before you start"),
    "footer_link_access": ("Accéder au service", "Access the service"),
    "copyright": ("© Gouvernement du Québec, 2026", "© Gouvernement du Québec, 2026"),
    "neq_short": ("NEQ", "NEQ"),
    "none_value": ("—", "—"),
    "back_home": ("Retour à l'accueil", "Back to the home page"),
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
        "Votre compte clicSÉQUR ne vous donne pas accès à l'IQEA pour {enterprise}.",
        "Your clicSÉQUR account does not give you access to IQEA for {enterprise}.",
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
        "Demandez-le au responsable des services électroniques de {enterprise}.",
        "Ask {enterprise}'s electronic services manager for it.",
    ),
    "access_denied_title": ("Accès refusé par clicSÉQUR", "Access refused by clicSÉQUR"),
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
        "Déclarations des émissions atmosphériques de {enterprise} (NEQ {neq}).",
        "Air emissions reports of {enterprise} (NEQ {neq}).",
    ),
    "new_report_title": ("Préparer une déclaration", "Prepare a report"),
    "field_year": ("Année visée par la déclaration", "Year covered by the report"),
    "field_year_hint": (
        "Une déclaration par année civile ; vous pourrez l'enregistrer avant de la transmettre.",
        "One report per calendar year; you may save it before submitting it.",
    ),
    "new_report_button": ("Préparer la déclaration", "Prepare the report"),
    "reports_existing": ("Déclarations de l'entreprise", "The company's reports"),
    "reports_table_caption": ("Déclarations de {enterprise}", "Reports of {enterprise}"),
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
        "En approuvant, vous confirmez avoir vérifié la déclaration {year} de {enterprise}.",
        "By approving, you confirm that you verified the {year} report of {enterprise}.",
    ),
    "approve_as_agent": (
        "Vous approuvez à titre de vérificateur : {name}, pour le compte de {agent}",
        "You approve as the verifier: {name}, on behalf of {agent}",
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
        "Vous agissez comme vérificateur pour le compte de {agent}",
        "You act as the verifier on behalf of {agent}",
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
    "flash_session_ended": (
        "Votre session a pris fin. Connectez-vous de nouveau pour continuer.",
        "Your session has ended. Sign in again to continue.",
    ),
    "flash_sign_in_first": (
        "Connectez-vous pour accéder à cette page.",
        "Sign in to reach this page.",
    ),
    # -- form errors -------------------------------------------------------------------------
    "error_summary_title": ("Corrigez les erreurs suivantes", "Correct the following errors"),
    "error_prefix": ("Erreur :", "Error:"),
    "error_summary_item": ("{field} : {error}", "{field}: {error}"),
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
    # -- what the provider sent --------------------------------------------------------------
    "transmitted_title": (
        "Ce que le fournisseur d'identité nous a transmis",
        "What the identity provider sent us",
    ),
    "transmitted_lead": (
        "Les jetons et réponses reçus de clicSÉQUR pour votre session, tels quels puis décodés. "
        "Ils ont été vérifiés à leur réception.",
        "The tokens and answers received from clicSÉQUR for your session, as sent and then "
        "decoded. They were verified when received.",
    ),
    "transmitted_toc": ("Sur cette page", "On this page"),
    "transmitted_raw": ("Tel que reçu", "As received"),
    "transmitted_nothing": ("Rien de reçu.", "Nothing received."),
    "transmitted_header": ("En-tête (JOSE)", "Header (JOSE)"),
    "transmitted_claims": ("Contenu (revendications)", "Payload (claims)"),
    "transmitted_id_token": ("Jeton d'identité (ID token)", "ID token"),
    "transmitted_id_token_text": (
        "Signé par clicSÉQUR ; il dit qui vous êtes, pour quelle entreprise vous agissez et "
        "comment vous vous êtes authentifié.",
        "Signed by clicSÉQUR; it says who you are, which company you act for and how you "
        "signed in.",
    ),
    "transmitted_access_token": ("Jeton d'accès", "Access token"),
    "transmitted_access_token_text": (
        "Présenté à clicSÉQUR pour lire vos renseignements ; renouvelé toutes les dix minutes.",
        "Presented to clicSÉQUR to read your information; renewed every ten minutes.",
    ),
    "transmitted_userinfo": ("Réponse UserInfo", "UserInfo response"),
    "transmitted_userinfo_text": (
        "La dernière réponse du point de terminaison UserInfo, lue à la connexion et à chaque "
        "renouvellement du jeton d'accès.",
        "The last answer of the UserInfo endpoint, read at sign-in and at every renewal of the "
        "access token.",
    ),
    "transmitted_token_response": ("Réponse du point de terminaison de jeton", "Token response"),
    "transmitted_token_response_text": (
        "Les autres éléments de la réponse : portée accordée, droits détaillés "
        "(authorization_details) et échéance du jeton d'accès.",
        "The other parts of the answer: granted scope, detailed rights (authorization_details) "
        "and the access token's expiry.",
    ),
    "transmitted_json": ("JSON", "JSON"),
    "transmitted_checked_now": (
        "Chaque jeton est vérifié de nouveau ici, maintenant ({now}), par le module "
        "d'inspection de clicSÉQUR : signature avec les clés que clicSÉQUR publie (jwks_uri), "
        "émetteur, destinataire (notre identifiant client) et dates. Un jeton expiré depuis sa "
        "réception est donc signalé comme tel.",
        "Each token is checked again here, now ({now}), by clicSÉQUR's inspection module: "
        "signature with the keys clicSÉQUR publishes (jwks_uri), issuer, audience (our client "
        "id) and dates. A token that has expired since it was received is therefore reported as "
        "such.",
    ),
    "transmitted_not_verified": ("NON VÉRIFIÉ", "NOT VERIFIED"),
    "transmitted_keys_unavailable": (
        "Les clés publiées de clicSÉQUR n'ont pas pu être lues : la signature n'est pas "
        "vérifiée ici. Le contenu ci-dessous est décodé tel quel.",
        "clicSÉQUR's published keys could not be read: the signature is not checked here. The "
        "content below is decoded as it is.",
    ),
    "transmitted_problems": ("Problèmes", "Problems"),
    "transmitted_notes": ("Remarques", "Notes"),
    "transmitted_signature": ("Signature", "Signature"),
    "transmitted_signature_status": ("Résultat", "Result"),
    "transmitted_signature_reason": ("Raison", "Reason"),
    "transmitted_algorithm": ("Algorithme", "Algorithm"),
    "transmitted_key_id": ("Clé qui a signé (kid)", "Key that signed (kid)"),
    "transmitted_key_type": ("Type de clé (kty)", "Key type (kty)"),
    "transmitted_key_state": ("État de la clé", "Key state"),
    "transmitted_key_published": (
        "Publiée dans le jeu de clés (JWKS) de clicSÉQUR. Le JWKS ne dit pas si une clé est "
        "courante, suivante ou retirée ; clicSÉQUR ne signe qu'avec sa clé courante.",
        "Published in clicSÉQUR's key set (JWKS). The JWKS does not say whether a key is "
        "current, next or retired; clicSÉQUR signs only with its current key.",
    ),
    "transmitted_times": ("Dates (maintenant : {now})", "Dates (now: {now})"),
    "transmitted_time_name": ("Date", "Date"),
    "transmitted_time_moment": ("Moment (UTC)", "Moment (UTC)"),
    "transmitted_time_check": ("Vérification", "Check"),
    "transmitted_time_ok": ("Conforme :", "Passed:"),
    "transmitted_time_not_ok": ("Non conforme :", "Failed:"),
    "transmitted_column_name": ("Nom", "Name"),
    "transmitted_column_value": ("Valeur", "Value"),
    "transmitted_column_meaning": ("Signification", "Meaning"),
    "transmitted_userinfo_unsigned": (
        "Cette réponse n'est pas signée : c'est du JSON, que le site croit parce qu'il l'a "
        "demandé lui-même à clicSÉQUR, par une connexion TLS, avec le jeton d'accès. Son sub "
        "doit être celui du jeton d'identité (le site le vérifie à chaque lecture).",
        "This answer is not signed: it is JSON, which the site trusts because it asked "
        "clicSÉQUR for it itself, over TLS, with the access token. Its sub must be the ID "
        "token's (the site checks it at every read).",
    ),
    "transmitted_userinfo_claims": ("Revendications", "Claims"),
    "transmitted_token_response_claims": ("Éléments expliqués", "Parts explained"),
    "transmitted_expires_at": (
        "Échéance du jeton d'accès, calculée par le site à la réception de la réponse (moment "
        "de la réception plus expires_in) ; le jeton est renouvelé un peu avant.",
        "Expiry of the access token, computed by the site when the answer was received (time "
        "of receipt plus expires_in); the token is renewed shortly before.",
    ),
    # -- errors ------------------------------------------------------------------------------
    "error_code": ("Code d'erreur : {code}", "Error code: {code}"),
    "sign_in_again_button": ("Se connecter de nouveau", "Sign in again"),
    "sign_in_failed_title": ("La connexion n'a pas abouti", "Sign-in did not complete"),
    "sign_in_failed_text": (
        "La réponse de clicSÉQUR n'a pas pu être validée, ou la demande de connexion a expiré. "
        "Recommencez.",
        "clicSÉQUR's answer could not be validated, or the sign-in request expired. Try again.",
    ),
    "provider_unavailable_title": ("clicSÉQUR ne répond pas", "clicSÉQUR is not responding"),
    "provider_unavailable_text": (
        "Le service d'authentification clicSÉQUR est momentanément inaccessible. Réessayez dans "
        "quelques minutes ; rien de ce que vous avez enregistré n'est perdu.",
        "The clicSÉQUR authentication service cannot be reached right now. Try again in a few "
        "minutes; nothing you saved is lost.",
    ),
    "csrf_title": ("Le formulaire a expiré", "The form expired"),
    "csrf_text": (
        "Pour votre sécurité, le formulaire n'a pas été accepté. Revenez à la page, puis "
        "recommencez.",
        "For your security, the form was not accepted. Go back to the page and try again.",
    ),
    "not_found_title": ("Page introuvable", "Page not found"),
    "not_found_text": (
        "La page demandée n'existe pas ou a été déplacée.",
        "The page you asked for does not exist or has moved.",
    ),
    "method_title": ("Action non permise", "Action not allowed"),
    "method_text": (
        "Cette page ne permet pas cette action.",
        "This page does not allow that action.",
    ),
    "bad_request_title": ("Demande invalide", "Invalid request"),
    "bad_request_text": (
        "La demande n'a pas pu être traitée.",
        "The request could not be processed.",
    ),
    "server_error_title": ("Erreur du service", "Service error"),
    "server_error_text": (
        "Une erreur est survenue. Réessayez plus tard.",
        "An error occurred. Try again later.",
    ),
}


def language() -> str:
    """The language of this request: ``?lang=``, then the cookie, then French."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    cached = g.get("iqea_language")
    if cached:
        return str(cached)
    asked = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    chosen = asked if asked in LANGUAGES else DEFAULT_LANGUAGE
    g.iqea_language = chosen
    return chosen


def t(key: str, **values: Any) -> str:
    """The text ``key`` in the current language; a missing key is a bug (KeyError)."""
    text = TEXTS[key][LANGUAGES.index(language())]
    return text.format(**values) if values else text


# -- formatting -------------------------------------------------------------------------------


def format_date(value: date) -> str:
    if language() == "en":
        return babel_dates.format_date(value, "MMMM d, y", locale="en_CA")
    # Babel gives the month names; « 1er » is the French rule for the first of the month.
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {babel_dates.format_date(value, 'MMMM y', locale='fr_CA')}"


def format_when(timestamp: int | None) -> str:
    """A moment in Québec time: « 22 novembre 2026 à 14 h 05 », "November 22, 2026 at 2:05 PM"."""
    if timestamp is None:
        return t("none_value")
    moment = datetime.fromtimestamp(int(timestamp), UTC).astimezone(QUEBEC)
    if language() == "en":
        hour = moment.hour % 12 or 12
        suffix = "AM" if moment.hour < 12 else "PM"
        return f"{format_date(moment.date())} at {hour}:{moment.minute:02d} {suffix}"
    return f"{format_date(moment.date())} à {moment.hour} h {moment.minute:02d}"


def format_iso_date(value: str | None) -> str:
    if not value:
        return t("none_value")
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value


def format_tonnes(value: str) -> str:
    """« 1 250,5 » in French (narrow no-break space), "1,250.5" in English."""
    number = Decimal(value)
    text = f"{number:,f}"
    if language() == "en":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


# -- the switch -------------------------------------------------------------------------------


def safe_local_path(target: str | None, fallback: str) -> str:
    """A path of this site to go back to; anything with a scheme or a host falls back."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def switch_language(code: str) -> Response:
    destination = safe_local_path(request.args.get("next"), url_for("site.home"))
    response = redirect(destination)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["IQEA_BASE_URL"].startswith("https://"),
        )
    return response


def other_language() -> str:
    return "en" if language() == "fr" else "fr"


def switch_language_url() -> str:
    here = request.full_path.rstrip("?") if request else "/"
    return url_for("site.language", code=other_language(), next=here)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["t"] = t
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["iso_date"] = format_iso_date
    app.jinja_env.filters["tonnes"] = format_tonnes

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {
            "lang": language(),
            "other_lang": other_language(),
            "switch_language_url": switch_language_url(),
        }
