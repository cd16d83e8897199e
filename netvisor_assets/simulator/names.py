"""Finnish name data for the simulated company.

Plain tuples, no randomness here: the generator picks from these with its own seeded streams, so
the same seed always names the same customer the same way.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aino", "Anna", "Anni", "Eetu", "Elina", "Emma", "Ella", "Helmi", "Ilkka", "Janne",
    "Jari", "Johanna", "Juha", "Jukka", "Kaisa", "Kari", "Katja", "Laura", "Leena", "Lauri",
    "Maria", "Marko", "Matti", "Mika", "Minna", "Niko", "Noora", "Oskari", "Otto", "Pekka",
    "Petri", "Riikka", "Sami", "Sanna", "Satu", "Timo", "Tiina", "Tuomas", "Veera", "Ville",
)  # fmt: skip

SURNAMES = (
    "Aaltonen", "Heikkinen", "Hämäläinen", "Heinonen", "Järvinen", "Kallio", "Karjalainen",
    "Koskinen", "Korhonen", "Laine", "Lehtinen", "Lehtonen", "Leinonen", "Mäkelä", "Mäkinen",
    "Nieminen", "Ojala", "Rantanen", "Salminen", "Saarinen", "Salonen", "Tuominen", "Turunen",
    "Virtanen", "Väisänen", "Niemi", "Hiltunen", "Kinnunen", "Lindholm", "Peltonen",
)  # fmt: skip

# Genitive stems used in company names ("Virtasen Kahvila Oy").
SURNAME_GENITIVES = (
    "Aaltosen", "Heikkisen", "Hämäläisen", "Heinosen", "Järvisen", "Kallion", "Karjalaisen",
    "Koskisen", "Korhosen", "Laineen", "Lehtisen", "Lehtosen", "Leinosen", "Mäkelän",
    "Mäkisen", "Niemisen", "Ojalan", "Rantasen", "Salmisen", "Saarisen", "Salosen",
    "Tuomisen", "Turusen", "Virtasen", "Väisäsen", "Niemen", "Hiltusen", "Kinnusen",
)  # fmt: skip

CUSTOMER_TRADES = (
    "Kahvila", "Ravintola", "Leipomo", "Konditoria", "Lounasravintola", "Kioski", "Hotelli",
    "Catering", "Bistro", "Kahvipaahtimo", "Herkku", "Deli", "Kauppa", "Toimisto",
)  # fmt: skip

BRAND_WORDS = (
    "Aurinko", "Kuura", "Revontuli", "Saaristo", "Koivu", "Kaisla", "Pohjola", "Tähti",
    "Ilta", "Aamu", "Kallio", "Ranta", "Metsä", "Sointu", "Helmi", "Lumo", "Verso", "Kide",
)  # fmt: skip

COMPANY_FORMS = ("Oy", "Oy", "Oy", "Ky", "Ab Oy", "Tmi")

STREETS = (
    "Mannerheimintie", "Hämeenkatu", "Aleksanterinkatu", "Kauppakatu", "Puistokatu",
    "Rautatienkatu", "Satamakatu", "Koulukatu", "Kirkkokatu", "Asemakatu", "Pajukuja",
    "Koivukuja", "Teollisuuskatu", "Tehtaankatu", "Kalevankatu", "Yliopistonkatu",
)  # fmt: skip

# (city, postcode prefix): the generator appends two digits for a plausible postcode.
CITIES = (
    ("Helsinki", "001"), ("Espoo", "021"), ("Vantaa", "016"), ("Tampere", "331"),
    ("Turku", "201"), ("Oulu", "901"), ("Jyväskylä", "401"), ("Lahti", "151"),
    ("Kuopio", "701"), ("Pori", "281"), ("Lappeenranta", "531"), ("Vaasa", "651"),
    ("Joensuu", "801"), ("Hämeenlinna", "131"), ("Rovaniemi", "961"), ("Seinäjoki", "601"),
)  # fmt: skip

BANKS = (
    ("Nordea", "NDEAFIHH", "1"), ("OP", "OKOYFIHH", "5"), ("Danske Bank", "DABAFIHH", "8"),
    ("S-Pankki", "SBANFIHH", "3"), ("Aktia", "HELSFIHH", "4"), ("Handelsbanken", "HANDFIHH", "3"),
)  # fmt: skip

FINVOICE_OPERATORS = ("003721291126", "003723327487", "003703575029", "PSPBFIHH")

CUSTOMER_GROUPS = ("Horeca", "Vähittäiskauppa", "Yritysasiakkaat", "Kuluttajat")

# (code prefix, group, unit, VAT tenths of a percent, revenue account, name stems, price range in
# cents). VAT 14 % is food, 10 % periodicals, 0 % statutory training that is VAT-exempt.
PRODUCT_CATEGORIES = (
    ("KAH", "Kahvit", "kg", 140, "3020",
     ("Kahvipapu Tumma", "Kahvipapu Vaalea", "Espresso Blend", "Luomukahvi", "Suodatinkahvi",
      "Reilun kaupan kahvi", "Kofeiiniton kahvi"), (1200, 4500)),
    ("TEE", "Teet ja herkut", "pkt", 140,  "3020",
     ("Musta tee", "Vihreä tee", "Suklaakeksi", "Korvapuustilevy", "Mantelileivos"), (300, 2500)),
    ("LAI", "Laitteet", "kpl", 255, "3000",
     ("Espressokeitin", "Kahvimylly", "Suodatinkeitin", "Maidonvaahdotin", "Vedensuodatin",
      "Termoskannu"), (8000, 250000)),
    ("HUO", "Huoltopalvelut", "h", 255, "3010",
     ("Laitehuolto", "Kalkinpoisto", "Asennuspalvelu", "Etätuki"), (6500, 12000)),
    ("LEH", "Lehdet", "kpl", 100, "3030",
     ("Kahvilehti vuositilaus", "Barista-lehti", "Ravintola-alan uutiskirje"), (1500, 9000)),
    ("KOU", "Koulutukset", "kpl", 0, "3040",
     ("Barista-koulutus (ammatillinen)", "Hygieniapassikoulutus"), (15000, 60000)),
)  # fmt: skip

# Vendor categories: (trade word, expense account, VAT tenths, line descriptions, cents range).
VENDOR_CATEGORIES = (
    ("Kahvitukku", "4000", 140, ("Raakakahvi", "Kahvierä", "Teelajitelma"), (20000, 400000)),
    ("Konetukku", "4000", 255, ("Laite-erä", "Varaosat", "Tarvikkeet"), (10000, 300000)),
    ("Alihankinta", "4450", 255, ("Asennustyö", "Huoltotyö", "Kuljetus"), (15000, 200000)),
    ("Kiinteistöt", "7010", 255, ("Toimitilavuokra", "Varastovuokra"), (150000, 400000)),
    ("Ohjelmistot", "7600", 255, ("Ohjelmistolisenssi", "Pilvipalvelu", "ATK-tuki"),
     (2000, 80000)),
    ("Toimistotarvike", "7690", 255, ("Toimistotarvikkeet", "Paperi", "Pakkausmateriaali"),
     (1000, 30000)),
    ("Tele", "7700", 255, ("Mobiililiittymät", "Laajakaista"), (3000, 40000)),
    ("Mainos", "7800", 255, ("Mainoskampanja", "Messuosasto", "Painotuotteet"), (20000, 300000)),
    ("Lehtitalo", "7880", 100, ("Ammattilehti", "Sanomalehti"), (2000, 20000)),
    ("Catering", "7960", 140, ("Kokoustarjoilu", "Henkilöstölounas"), (5000, 60000)),
    ("Vakuutus", "7900", 0, ("Vastuuvakuutus", "Omaisuusvakuutus"), (20000, 150000)),
)  # fmt: skip

# Foreign parties by ISO country code: (English country name, currency, cities, streets,
# customer name stems, company forms, banks, top-level web domain).
FOREIGN_COUNTRIES = {
    "SE": ("Sweden", "SEK", ("Stockholm", "Göteborg", "Malmö", "Uppsala"),
           ("Storgatan", "Kungsgatan", "Drottninggatan", "Hamngatan"),
           ("Kaffebaren", "Rosteriet", "Fikastugan", "Bönhuset", "Kafé Norrsken"), ("AB",),
           ("Swedbank", "SEB", "Handelsbanken"), "se"),
    "DE": ("Germany", "EUR", ("Hamburg", "Berlin", "Köln", "Bremen"),
           ("Hauptstraße", "Bahnhofstraße", "Hafenstraße"),
           ("Kaffeehaus Nord", "Röstwerk Café"), ("GmbH",), ("Deutsche Bank", "Commerzbank"),
           "de"),
    "US": ("United States", "USD", ("Seattle", "Portland", "New York", "Boston"),
           ("Main Street", "Pine Street", "Harbor Avenue"),
           ("Harbor Coffee", "Daily Grind", "Blue Door Cafe", "Maple Roasters"), ("Inc.", "LLC"),
           ("Chase", "Wells Fargo"), "com"),
}  # fmt: skip

# Foreign vendor profiles, assigned in turn to the few foreign vendors: (country, index into
# VENDOR_CATEGORIES, expense account, VAT tenths, VAT code, name stems). EU purchases are
# reverse charged at the Finnish rate (services EUPO, goods EUOS on 4110 EU-ostot); goods from
# the US are imports on 4130 without VAT on the invoice (import VAT is settled with customs,
# outside the books simulated here).
FOREIGN_VENDORS = (
    ("SE", 4, "7600", 255, "EUPO", ("Molnkod", "Kassasystem Norden")),
    ("US", 1, "4130", 0, "NONE", ("Espresso Parts", "Brew Supply")),
    ("DE", 1, "4110", 255, "EUOS", ("Kaffeemaschinen Nord", "Mahlwerk Technik")),
    ("SE", 7, "7800", 255, "EUPO", ("Reklambyrån Ljus", "Mässbolaget")),
)  # fmt: skip
