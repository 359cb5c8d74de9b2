"""French first, English on a switch: every text of the pesticide certificate site.

The texts every demo site shares (layout, errors, « transmis ») are those of
:mod:`demo_rp.common.i18n`; the site's own come after them and win. A test checks that every key
used in the templates and the code exists in both languages.
"""

from __future__ import annotations

from demo_rp.common.i18n import TEXTS as COMMON_TEXTS

MINISTRY_NAME = (
    "Ministère de l'Environnement, de la Lutte contre les changements climatiques, "
    "de la Faune et des Parcs"
)
SERVICE_FR = "Demande de certificat pour l'utilisation de pesticides"
SERVICE_EN = "Application for a pesticide use certificate"

TEXTS: dict[str, tuple[str, str]] = {
    **COMMON_TEXTS,
    # -- layout ----------------------------------------------------------------------------------
    "ministry_name": (MINISTRY_NAME, MINISTRY_NAME),
    "ministry_short": ("Environnement Québec", "Environnement Québec"),
    "service_name": (SERVICE_FR, SERVICE_EN),
    "service_short": ("Certificat pesticides", "Pesticide certificate"),
    "service_tagline": (
        "Service en ligne pour les citoyens",
        "Online service for citizens",
    ),
    "nav_applications": ("Mes demandes", "My applications"),
    "nav_new_application": ("Nouvelle demande", "New application"),
    "footer_help": (
        "Aide technique clicSÉQUR : 1\u00a0866\u00a0423-3234. Questions sur le certificat : "
        "Centre d'information du Ministère.",
        "clicSÉQUR technical support: 1\u00a0866\u00a0423-3234. Questions about the "
        "certificate: the Ministère's information centre.",
    ),
    "demo_notice": (
        "Site de démonstration : les catégories de certificat et le format du numéro "
        "d'attestation sont fictifs.",
        "Demonstration site: the certificate categories and the attestation number format are "
        "fictitious.",
    ),
    # -- home ------------------------------------------------------------------------------------
    "home_title": ("Accueil", "Home"),
    "home_heading": (SERVICE_FR, SERVICE_EN),
    "home_lead": (
        "Au Québec, une personne qui applique elle-même certains pesticides doit être titulaire "
        "d'un certificat. Ce service en ligne vous permet d'en faire la demande au Ministère, "
        "puis de suivre vos demandes.",
        "In Québec, a person who applies certain pesticides themselves must hold a certificate. "
        "This online service lets you apply for one to the Ministère, then follow your "
        "applications.",
    ),
    "home_access_title": ("Accéder au service", "Access the service"),
    "home_access_text": (
        "Connectez-vous avec clicSÉQUR – Citoyens, le service d'authentification du "
        "gouvernement du Québec. Le Ministère recevra votre nom et votre adresse courriel.",
        "Sign in with clicSÉQUR – Citoyens, the Gouvernement du Québec's authentication "
        "service. The Ministère will receive your name and your email address.",
    ),
    "access_button": ("Accéder au service", "Access the service"),
    "home_access_hint": (
        "Vous serez dirigé vers clicSÉQUR, puis ramené ici.",
        "You will be taken to clicSÉQUR, then brought back here.",
    ),
    "home_who_title": ("À qui s'adresse ce service", "Who this service is for"),
    "home_who_text": (
        "Aux particuliers qui appliquent eux-mêmes des pesticides sur leurs propres terres, "
        "par exemple :",
        "Individuals who apply pesticides themselves on their own land, for example:",
    ),
    "home_who_farm": (
        "les agriculteurs, sur leur propre exploitation agricole ;",
        "farmers, on their own farm;",
    ),
    "home_who_woodlot": (
        "les producteurs forestiers, sur leur propre boisé ;",
        "forest producers, on their own woodlot;",
    ),
    "home_who_property": (
        "les propriétaires, sur leur propre terrain.",
        "owners, on their own property.",
    ),
    "home_who_not": (
        "Les entreprises qui appliquent des pesticides pour autrui demandent un permis par "
        "clicSÉQUR – Entreprises, et non par ce service.",
        "Businesses that apply pesticides for others apply for a permit through clicSÉQUR – "
        "Entreprises, not through this service.",
    ),
    "home_before_title": ("Avant de commencer", "Before you start"),
    "home_before_text": ("Ayez en main :", "Have at hand:"),
    "home_before_attestation": (
        "le numéro de votre attestation de réussite de la formation ou de l'examen sur "
        "l'utilisation des pesticides (8 chiffres) ;",
        "the number of your attestation of success in the pesticide use training or exam "
        "(8 digits);",
    ),
    "home_before_address": (
        "votre adresse de résidence et votre numéro de téléphone ;",
        "your home address and your telephone number;",
    ),
    "home_before_birth_date": (
        "votre date de naissance : il faut être majeur (18 ans ou plus).",
        "your date of birth: you must be of age (18 or older).",
    ),
    "home_before_time": (
        "Remplir la demande prend environ 10 minutes. Vous la vérifiez avant de la soumettre.",
        "Filling in the application takes about 10 minutes. You review it before submitting it.",
    ),
    # -- my applications -------------------------------------------------------------------------
    "applications_title": ("Mes demandes", "My applications"),
    "applications_lead": (
        "Bonjour, {name}. Voici les demandes de certificat que vous avez soumises.",
        "Hello, {name}. Here are the certificate applications you submitted.",
    ),
    "applications_caption": ("Vos demandes de certificat", "Your certificate applications"),
    "applications_none": (
        "Vous n'avez soumis aucune demande pour le moment.",
        "You have not submitted any application yet.",
    ),
    "new_application_button": ("Faire une nouvelle demande", "Make a new application"),
    "column_number": ("Numéro de confirmation", "Confirmation number"),
    "column_category": ("Catégorie", "Category"),
    "column_status": ("État", "Status"),
    "column_submitted": ("Soumise le", "Submitted on"),
    "status_submitted": ("Soumise", "Submitted"),
    "status_submitted_text": (
        "Le Ministère a reçu votre demande. Il vous écrira à l'adresse {email} s'il lui manque "
        "un renseignement, puis pour vous transmettre sa décision.",
        "The Ministère has received your application. It will write to you at {email} if "
        "anything is missing, then to send you its decision.",
    ),
    "your_email_address": ("votre adresse courriel", "your email address"),
    # -- one application -------------------------------------------------------------------------
    "application_title": ("Demande {number}", "Application {number}"),
    "application_submitted_on": ("Soumise le {when}", "Submitted on {when}"),
    "back_to_applications": ("Retour à mes demandes", "Back to my applications"),
    "summary_title": ("Renseignements de la demande", "Application details"),
    "applicant_label": ("Demandeur", "Applicant"),
    "declaration_accepted": ("Acceptée", "Accepted"),
    # -- the form --------------------------------------------------------------------------------
    "form_title": ("Nouvelle demande de certificat", "New certificate application"),
    "form_lead": (
        "Tous les champs sont obligatoires. Vous pourrez vérifier vos renseignements avant de "
        "soumettre la demande.",
        "Every field is required. You will be able to review your information before "
        "submitting the application.",
    ),
    "section_address": ("Adresse de résidence", "Home address"),
    "section_contact": ("Vous joindre et vous identifier", "Contact and identification"),
    "section_training": ("Formation", "Training"),
    "field_category": ("Catégorie de certificat", "Certificate category"),
    "field_category_hint": (
        "Choisissez celle qui correspond à l'endroit où vous appliquerez les pesticides.",
        "Choose the one that matches where you will apply pesticides.",
    ),
    "category_farm": (
        "Application en milieu agricole, sur ma propre exploitation",
        "Agricultural application, on my own farm",
    ),
    "category_farm_hint": (
        "Pour les productrices et producteurs agricoles.",
        "For agricultural producers.",
    ),
    "category_woodlot": (
        "Application en milieu forestier, sur mon propre boisé",
        "Forest application, on my own woodlot",
    ),
    "category_woodlot_hint": (
        "Pour les producteurs forestiers reconnus.",
        "For recognized forest producers.",
    ),
    "category_property": (
        "Application sur ma propre propriété (hors milieu agricole)",
        "Application on my own property (not agricultural)",
    ),
    "category_property_hint": (
        "Terrain résidentiel ou de villégiature dont vous êtes propriétaire.",
        "A residential or recreational property you own.",
    ),
    "field_street_address": ("Numéro et rue", "Number and street"),
    "field_street_address_hint": (
        "Avec le numéro d'appartement s'il y a lieu, par exemple 123, rue Principale, app. 4.",
        "With the apartment number if any, for example 123 Principale Street, Apt. 4.",
    ),
    "field_municipality": ("Municipalité", "Municipality"),
    "field_municipality_hint": ("Par exemple Saint-Hyacinthe.", "For example Saint-Hyacinthe."),
    "field_postal_code": ("Code postal", "Postal code"),
    "field_postal_code_hint": ("Par exemple J2S 1A1.", "For example J2S 1A1."),
    "field_telephone": ("Numéro de téléphone", "Telephone number"),
    "field_telephone_hint": (
        "Dix chiffres, par exemple 450 555-0123.",
        "Ten digits, for example 450 555-0123.",
    ),
    "field_birth_date": ("Date de naissance", "Date of birth"),
    "field_birth_date_hint": (
        "Au format AAAA-MM-JJ, par exemple 1975-04-23.",
        "In the format YYYY-MM-DD, for example 1975-04-23.",
    ),
    "field_attestation_number": ("Numéro d'attestation", "Attestation number"),
    "field_attestation_number_hint": (
        "Les 8 chiffres inscrits sur votre attestation de réussite de la formation ou de "
        "l'examen, par exemple 12345678.",
        "The 8 digits on your attestation of success in the training or exam, for example "
        "12345678.",
    ),
    "field_declaration": ("Déclaration", "Declaration"),
    "declaration_text": (
        "Je déclare que les renseignements fournis sont exacts et complets, et que "
        "j'appliquerai moi-même les pesticides, sur mes propres terres seulement.",
        "I declare that the information given is accurate and complete, and that I will apply "
        "the pesticides myself, on my own land only.",
    ),
    "field_declaration_hint": (
        "Une fausse déclaration peut entraîner le refus ou l'annulation du certificat.",
        "A false declaration may lead to the certificate being refused or cancelled.",
    ),
    "continue_button": ("Continuer", "Continue"),
    "cancel_link": ("Annuler", "Cancel"),
    # -- review, submission, confirmation --------------------------------------------------------
    "review_title": ("Vérifiez votre demande", "Review your application"),
    "review_lead": (
        "Vérifiez vos renseignements. Une fois soumise, la demande ne peut plus être modifiée.",
        "Check your information. Once submitted, the application can no longer be changed.",
    ),
    "edit_link": ("Modifier", "Change"),
    "edit_link_hidden": ("les renseignements", "the information"),
    "submit_button": ("Soumettre", "Submit"),
    "confirmation_title": ("Demande soumise", "Application submitted"),
    "confirmation_number": ("Votre numéro de confirmation", "Your confirmation number"),
    "confirmation_keep": (
        "Conservez ce numéro : il vous sera demandé si vous communiquez avec le Ministère au "
        "sujet de votre demande.",
        "Keep this number: you will be asked for it if you contact the Ministère about your "
        "application.",
    ),
    "confirmation_next_title": ("La suite", "What happens next"),
    # -- messages ----------------------------------------------------------------------------------
    "flash_signed_out": (
        "Vous êtes déconnecté du service et de clicSÉQUR.",
        "You are signed out of the service and of clicSÉQUR.",
    ),
    "flash_nothing_to_submit": (
        "Aucune demande n'attend d'être soumise : elle l'a peut-être déjà été.",
        "No application is waiting to be submitted: it may have been submitted already.",
    ),
    # -- form errors -------------------------------------------------------------------------------
    "error_category_required": (
        "Choisissez la catégorie de certificat.",
        "Choose the certificate category.",
    ),
    "error_category_invalid": (
        "Choisissez l'une des catégories proposées.",
        "Choose one of the categories offered.",
    ),
    "error_street_address_required": (
        "Entrez le numéro et la rue de votre adresse.",
        "Enter the number and street of your address.",
    ),
    "error_street_address_length": (
        "Le numéro et la rue doivent compter de 3 à 120 caractères.",
        "The number and street must have 3 to 120 characters.",
    ),
    "error_municipality_required": ("Entrez votre municipalité.", "Enter your municipality."),
    "error_municipality_length": (
        "Le nom de la municipalité doit compter de 2 à 80 caractères.",
        "The municipality name must have 2 to 80 characters.",
    ),
    "error_postal_code_required": ("Entrez votre code postal.", "Enter your postal code."),
    "error_postal_code_format": (
        "Entrez un code postal canadien, par exemple J2S 1A1.",
        "Enter a Canadian postal code, for example J2S 1A1.",
    ),
    "error_telephone_required": (
        "Entrez votre numéro de téléphone.",
        "Enter your telephone number.",
    ),
    "error_telephone_format": (
        "Entrez un numéro de téléphone de dix chiffres, par exemple 450 555-0123.",
        "Enter a ten-digit telephone number, for example 450 555-0123.",
    ),
    "error_birth_date_required": ("Entrez votre date de naissance.", "Enter your date of birth."),
    "error_birth_date_format": (
        "Entrez une date réelle au format AAAA-MM-JJ, par exemple 1975-04-23.",
        "Enter a real date in the format YYYY-MM-DD, for example 1975-04-23.",
    ),
    "error_birth_date_future": (
        "La date de naissance doit être dans le passé.",
        "The date of birth must be in the past.",
    ),
    "error_birth_date_too_old": (
        "Vérifiez l'année de naissance.",
        "Check the year of birth.",
    ),
    "error_birth_date_minor": (
        "Il faut être majeur (18 ans ou plus) pour demander ce certificat.",
        "You must be of age (18 or older) to apply for this certificate.",
    ),
    "error_attestation_number_required": (
        "Entrez le numéro de votre attestation.",
        "Enter your attestation number.",
    ),
    "error_attestation_number_format": (
        "Le numéro d'attestation compte 8 chiffres, par exemple 12345678.",
        "The attestation number has 8 digits, for example 12345678.",
    ),
    "error_declaration_required": (
        "Cochez la déclaration pour soumettre la demande.",
        "Tick the declaration to submit the application.",
    ),
    # -- sign-in refused ---------------------------------------------------------------------------
    "access_denied_text": (
        "clicSÉQUR ne nous a pas transmis votre identité : la connexion a été annulée. "
        "Recommencez pour accéder au service.",
        "clicSÉQUR did not send us your identity: the sign-in was cancelled. Try again to "
        "access the service.",
    ),
    "enterprise_refused_title": (
        "Ce service est réservé aux citoyens",
        "This service is for citizens only",
    ),
    "enterprise_refused_text": (
        "clicSÉQUR nous a transmis l'identité d'une personne qui agit pour une entreprise, "
        "alors que ce service ne s'adresse qu'aux particuliers : nous l'avons refusée et vous "
        "n'êtes pas connecté. Cela signale une erreur de configuration ; signalez-la au Centre "
        "d'information du Ministère.",
        "clicSÉQUR sent us the identity of a person acting for a business, whereas this service "
        "is for individuals only: we refused it and you are not signed in. This points to a "
        "configuration error; report it to the Ministère's information centre.",
    ),
    # -- what the provider sent ------------------------------------------------------------------
    "transmitted_id_token_text": (
        "Signé par clicSÉQUR ; il dit qui vous êtes (votre identifiant propre au Ministère, "
        "votre nom, votre adresse courriel) et comment vous vous êtes authentifié. Il ne nomme "
        "aucune entreprise.",
        "Signed by clicSÉQUR; it says who you are (your identifier for the Ministère alone, "
        "your name, your email address) and how you signed in. It names no business.",
    ),
}
