"""The first Dutch help article of each function (a data migration puts them in; from then on
the helpdesk keeps them in the admin). Markdown, rendered by support.markdown."""

from __future__ import annotations

HELP_ARTICLES: dict[str, tuple[str, str]] = {
    "profile": (
        "Je profiel en je account",
        """\
Op **Mijn profiel** staan je naam, functie, telefoonnummer en je werkdagen. Collega's in de
regio zien deze gegevens als ze je zoeken, dus houd ze actueel. Je opent je profiel via het
menu onder je naam rechtsboven.

## Afwezigheid
Ga je op vakantie of ben je een tijd niet bereikbaar? Voeg dan onder *Afwezigheid* de periode
toe, met eventueel een korte boodschap. Collega's zien dan bij een nieuw gesprek dat je afwezig
bent en naar wie ze beter kunnen schrijven.

## Inloggen en tweestapsverificatie
Wie patiëntgegevens mag zien, logt in met een wachtwoord én een tweede stap: een code uit een
authenticator-app of een beveiligingssleutel. Je stelt dit in via *Tweestapsverificatie* in het
menu onder je naam. Ben je je telefoon kwijt? Bel de helpdesk: die kan de tweede stap
herstellen nadat is vastgesteld wie je bent.

## Namens welke organisatie
Werk je voor meer dan één organisatie, dan kies je bovenaan bij *Werken namens* voor welke
organisatie je nu werkt. Wat je ziet en wat je mag, hangt af van die keuze.""",
    ),
    "conversations": (
        "Gesprekken en consultaties",
        """\
Onder **Gesprekken** overleg je veilig met andere zorgverleners, meestal over één patiënt.
Alleen wie aan het gesprek deelneemt én de patiënt mag zien, leest mee.

## Een gesprek beginnen
Kies *Nieuw gesprek*, zoek de patiënt en de collega's of de gezamenlijke inbox van een
organisatie, geef een onderwerp en schrijf je bericht. Je kunt foto's en pdf's meesturen; foto's
worden ontdaan van locatiegegevens.

## Consultaties
Een consultatie is een vraag aan een andere zorgverlener of aan een gezamenlijke inbox. Zodra
iemand de vraag *oppakt*, zien de anderen dat die in behandeling is. Sluit de consultatie als de
vraag beantwoord is.

## Markeren, archief en terugkoppelen
Markeer een gesprek om het terug te vinden. Afgeronde gesprekken gaan naar het archief. Een
huisartsenpraktijk kan een gesprek als SOEP-notitie terugkoppelen naar het HIS.

Zet nooit meer patiëntgegevens in een bericht dan nodig is voor de vraag.""",
    ),
    "shared_inboxes": (
        "Gezamenlijke inboxen",
        """\
Een **gezamenlijke inbox** is een postvak van een organisatie of team, bijvoorbeeld
*Wijkverpleging Noord – planning* of *Praktijk – POH*. Berichten aan de inbox komen bij alle
leden binnen, zodat een vraag niet blijft liggen als één collega afwezig is.

## Wie beheert een inbox
Een level-A-gebruiker of hoofdzorgverlener van de organisatie beheert de inboxen van de eigen
organisatie: leden toevoegen en verwijderen. De helpdesk kan een nieuwe inbox aanmaken.

## Werken met een inbox
In je lijst met gesprekken zie je ook de gesprekken van inboxen waarvan je lid bent. Pak een
consultatie op, zodat je collega's zien dat jij hem behandelt. Je antwoord komt onder je eigen
naam te staan, met de naam van de inbox erbij.""",
    ),
    "care_network": (
        "Patiënten en het zorgnetwerk",
        """\
Onder **Patiënten** zie je de patiënten bij wie jij of je organisatie betrokken is. De
huisartsenpraktijk is eigenaar van de patiëntgegevens; andere zorgverleners zien een patiënt
alleen als ze in het **zorgnetwerk** van die patiënt staan.

## Het zorgnetwerk
Het zorgnetwerk laat zien wie bij de patiënt betrokken is: de huisarts, de POH, de
wijkverpleging, de fysiotherapeut en anderen. De praktijk voegt zorgverleners toe of haalt ze
weg. Een netwerkpartner kan toegang vragen; de praktijk beslist.

## Wat een partner ziet
Welke gegevens een netwerkpartner ziet (NAW, episodes, medicatie, meetwaarden), hangt af van
het soort zorgverlener en de autorisatiematrix die de zorggroep beheert. Elke inzage wordt
vastgelegd volgens NEN 7513.""",
    ),
    "referrals": (
        "Verwijzen",
        """\
Onder **Verwijzingen** verwijs je een patiënt naar een netwerkpartner, bijvoorbeeld een
fysiotherapeut, diëtist of apotheek, en volg je wat ermee gebeurt.

## Een verwijzing maken
Kies de patiënt, de ontvangende organisatie en de urgentie, en beschrijf je vraag. Bij een
zorgpad worden de gegevens meegestuurd die dat zorgpad vraagt. Je kunt een brief of foto
toevoegen.

## Wat de ontvanger doet
De ontvanger neemt de verwijzing *in behandeling* of wijst hem af met een reden. Daarna stuurt
de ontvanger **terugkoppeling**: bevindingen en advies. Die kun je terugkoppelen naar het HIS.

## Sluiten
De praktijk sluit de verwijzing als de zorg klaar is. Een nieuwe verwijzing op de lijst is vet
tot iemand van de ontvangende organisatie hem heeft geopend.""",
    ),
    "acp": (
        "Proactieve zorgplanning (PZP)",
        """\
Bij een patiënt vind je de **proactieve zorgplanning** (PZP): de afspraken over wat de
patiënt wil en niet wil in de laatste levensfase. De huisartsenpraktijk is regiehouder.

## Vastleggen
Leg na het gesprek met de patiënt de wensen vast: het doel van de zorg, de behandelgrenzen
(reanimeren, beademen, IC, ziekenhuisopname en meer), de voorkeursplek van overlijden en
bijzonderheden. Elke wijziging is een nieuwe versie; eerdere versies blijven te zien en te
vergelijken.

## Delen
Zorgverleners in het zorgnetwerk die de PZP mogen zien, zien altijd de laatste versie, ook
's nachts bij de huisartsenpost. Een pdf voor de patiënt of de map thuis kun je downloaden.""",
    ),
    "health_plan": (
        "Het gezondheidsplan",
        """\
Het **gezondheidsplan** is het gezamenlijke plan rond een patiënt: problemen, doelen en
acties.

## Opbouw
- Een **probleem** beschrijft waar de patiënt last van heeft of wat aandacht vraagt.
- Bij een probleem horen **doelen**, met zo mogelijk een streefwaarde en een evaluatiedatum.
- Bij een doel horen **acties**, met een eigenaar en een datum.

## Samenwerken
Iedere zorgverlener in het zorgnetwerk die het plan mag zien, ziet dezelfde versie. Wie een
actie op zijn naam heeft, werkt de status bij. Wijzigt iemand anders tegelijk hetzelfde, dan
krijg je een melding in plaats van dat je werk verloren gaat. De praktijk kan het plan
terugkoppelen naar het HIS.""",
    ),
    "questionnaires": (
        "Vragenlijsten",
        """\
Onder **Vragenlijsten** vind je de bibliotheek van de zorggroep, zoals de MRC-schaal of de
4DKL.

## Afnemen
Je vult een vragenlijst samen met de patiënt in, of je stuurt de patiënt een link. De patiënt
opent de link, bevestigt de geboortedatum en vult de lijst zelf in. Je kunt een verstuurde link
intrekken.

## Uitslag
Na het invullen berekent Regiozorg de score en de interpretatie volgens de regels van de
vragenlijst. De uitslag staat bij de patiënt en kan naar het HIS worden teruggekoppeld.""",
    ),
    "measurements": (
        "Thuismetingen",
        """\
Bij een patiënt kun je **thuismetingen** bijhouden, zoals bloeddruk, gewicht of
saturatie.

## Grenswaarden
Stel per patiënt grenswaarden in. Een meting buiten de grens geeft een melding aan de praktijk;
die ziet openstaande meldingen op de startpagina en handelt ze af.

## Invoeren en terugkoppelen
Een meting voer je in met datum en tijd. De praktijk kan een overzicht van de metingen
terugkoppelen naar het HIS.""",
    ),
    "mdo_video": (
        "MDO en beeldbellen",
        """\
Onder **MDO** plan en voer je een multidisciplinair overleg. Je zet patiënten op de agenda,
nodigt deelnemers uit, maakt notities en legt afspraken vast. Na afloop kun je per patiënt een
verslag terugkoppelen naar het HIS.

## Beeldbellen
Vanuit een MDO, een patiënt of een gesprek start je een **beeldgesprek**. Deelnemers van
Regiozorg komen binnen met hun eigen account.

## Gastlinks
Wil je iemand zonder account laten meedoen, zoals de patiënt, een mantelzorger of een
specialist, maak dan een **gastlink** en stuur die per e-mail of sms. De link werkt één gesprek
lang en kun je intrekken. Deel een gastlink nooit in een groepsapp.

## Wachtkamer
Een gast komt eerst in de **wachtkamer**. Jij ziet de naam en laat de gast toe of niet.
Pas na toelating ziet en hoort de gast de anderen.

## Camera en microfoon
De browser vraagt of Regiozorg je camera en microfoon mag gebruiken: kies *Toestaan*. Heb je
eerder *Blokkeren* gekozen, klik dan op het slotje in de adresbalk en zet camera en microfoon
aan, en laad de pagina opnieuw. Werkt het nog niet, controleer dan of een ander programma
(Teams, Zoom) de camera gebruikt.""",
    ),
    "app": (
        "Regiozorg gebruiken",
        """\
Regiozorg is de beveiligde werkplek van de zorggroep waar zorgverleners in de regio rond
een patiënt samenwerken. De **startpagina** laat zien wat vandaag jouw aandacht vraagt:
ongelezen gesprekken, nieuwe verwijzingen en meldingen.

## Op je telefoon
Regiozorg werkt in de browser van je telefoon. Het menu zit dan achter de knop *Menu*; de
helpdesk vind je onder het vraagteken bovenaan.

## Hulp en helpdesk
Elke pagina heeft rechtsboven een vraagteken dat de hulp bij die pagina opent. Kom je er niet
uit, gebruik dan het *Contactformulier*: je vraag en het antwoord vind je terug onder
*Mijn vragen*. Bij spoed bel je de helpdesk; het nummer staat bovenaan elke pagina.

## Wat is er nieuw
Onder *Wat is er nieuw* lees je wat er in Regiozorg is veranderd. Kies *Volgen* om bij elke
nieuwe versie een e-mail te krijgen.""",
    ),
}
