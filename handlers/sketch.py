"""TU Berlin sketches: 20,000 human line drawings of 250 object categories, 80 per category.

Homepage https://cybertron.cg.tu-berlin.de/eitz/projects/classifysketch/ (Eitz, Hays,
Alexa, "How Do Humans Sketch Objects?", ACM TOG / SIGGRAPH 2012). One zip of greyscale
1111x1111 PNGs: ``png/<category>/<n>.png``; the label is the category folder (names hold
spaces, hyphens and parentheses, e.g. ``crane (machine)``), classes in sorted order
(dm_nevis used a fixed unsorted order). ``png/filelist.txt`` is ignored. No official
split: every sketch is drawn into train/dev/dev-test/test by a hash of its key, the
member path with the crane folder under its class name.

Evidence: the zip's own ``png/filelist.txt`` (a committed copy, 352,894 characters) lists
``<category>/<n>.png`` for n = 1..20,000, 80 consecutive numbers per category in sorted
category order, which is how the split sizes are tallied. It names one folder
``crane``, where dm_nevis's class list (read from the folders) has ``crane (machine)``:
the handler accepts both spellings for that class.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("sketches_png.zip", "https://cybertron.cg.tu-berlin.de/eitz/projects/classifysketch/sketches_png.zip",
             md5="023123df86a928a5273e3ba11990d8fd"),
)

CLASS_NAMES = tuple(sorted(
    "airplane|alarm clock|angel|ant|apple|arm|armchair|ashtray|axe|backpack|banana|barn|baseball bat|basket|"
    "bathtub|bear (animal)|bed|bee|beer-mug|bell|bench|bicycle|binoculars|blimp|book|bookshelf|boomerang|"
    "bottle opener|bowl|brain|bread|bridge|bulldozer|bus|bush|butterfly|cabinet|cactus|cake|calculator|camel|"
    "camera|candle|cannon|canoe|car (sedan)|carrot|castle|cat|cell phone|chair|chandelier|church|cigarette|"
    "cloud|comb|computer monitor|computer-mouse|couch|cow|crab|crane (machine)|crocodile|crown|cup|diamond|dog|"
    "dolphin|donut|door|door handle|dragon|duck|ear|elephant|envelope|eye|eyeglasses|face|fan|feather|"
    "fire hydrant|fish|flashlight|floor lamp|flower with stem|flying bird|flying saucer|foot|fork|frog|"
    "frying-pan|giraffe|grapes|grenade|guitar|hamburger|hammer|hand|harp|hat|head|head-phones|hedgehog|"
    "helicopter|helmet|horse|hot air balloon|hot-dog|hourglass|house|human-skeleton|ice-cream-cone|ipod|"
    "kangaroo|key|keyboard|knife|ladder|laptop|leaf|lightbulb|lighter|lion|lobster|loudspeaker|mailbox|"
    "megaphone|mermaid|microphone|microscope|monkey|moon|mosquito|motorbike|mouse (animal)|mouth|mug|mushroom|"
    "nose|octopus|owl|palm tree|panda|paper clip|parachute|parking meter|parrot|pear|pen|penguin|"
    "person sitting|person walking|piano|pickup truck|pig|pigeon|pineapple|pipe (for smoking)|pizza|"
    "potted plant|power outlet|present|pretzel|pumpkin|purse|rabbit|race car|radio|rainbow|revolver|rifle|"
    "rollerblades|rooster|sailboat|santa claus|satellite|satellite dish|saxophone|scissors|scorpion|"
    "screwdriver|sea turtle|seagull|shark|sheep|ship|shoe|shovel|skateboard|skull|skyscraper|snail|snake|"
    "snowboard|snowman|socks|space shuttle|speed-boat|spider|sponge bob|spoon|squirrel|standing bird|stapler|"
    "strawberry|streetlight|submarine|suitcase|sun|suv|swan|sword|syringe|t-shirt|table|tablelamp|teacup|"
    "teapot|teddy-bear|telephone|tennis-racket|tent|tiger|tire|toilet|tomato|tooth|toothbrush|tractor|"
    "traffic light|train|tree|trombone|trousers|truck|trumpet|tv|umbrella|van|vase|violin|walkie talkie|wheel|"
    "wheelbarrow|windmill|wine-bottle|wineglass|wrist-watch|zebra".split("|")))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
# filelist.txt spells this folder "crane"; dm_nevis's folder-derived list "crane (machine)".
_FOLDER_ALIASES = {"crane": "crane (machine)"}
PER_CLASS = 80


def examples(artifacts_dir: Path):
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".png",)):
        folder = _readers.class_folder(name)
        category = _FOLDER_ALIASES.get(folder, folder)
        if category not in _LABELS:
            raise ValueError(f"{name}: unknown category folder {folder!r}")
        key = f"png/{category}/{name.rsplit('/', 1)[-1]}"
        yield Example(key=key, image=data, label=_LABELS[category], split=_splits.by_fraction(key, _splits.ALL))


def derived_counts() -> dict[str, int]:
    """The split sizes the hash draw gives filelist.txt's names (category k, 0-based in
    sorted order, holds sketches 80k+1 .. 80k+80); NUM_EXAMPLES stores the result."""
    keys = (f"png/{name}/{PER_CLASS * k + n}.png" for k, name in enumerate(CLASS_NAMES)
            for n in range(1, PER_CLASS + 1))
    return _splits.tally(keys, _splits.ALL)


NUM_EXAMPLES = {"dev": 2343, "dev-test": 2400, "test": 4020, "train": 11237}


def write_fixture(artifacts_dir: Path, per_class: int = 8) -> dict[str, int]:
    """Greyscale PNGs numbered as in the real zip, in category folders whose names need
    quoting (crane spelled as filelist.txt has it); filelist.txt and junk."""
    members, keys = {}, []
    for category in ("airplane", "crane (machine)", "teddy-bear"):
        k = _LABELS[category]
        folder = "crane" if category == "crane (machine)" else category
        for n in range(PER_CLASS * k + 1, PER_CLASS * k + per_class + 1):
            members[f"png/{folder}/{n}.png"] = _fixtures.png_bytes(_fixtures.pixels(n, 32, 32, 1))
            keys.append(f"png/{category}/{n}.png")
    members["png/filelist.txt"] = "".join(
        f"{name.removeprefix('png/')}\n" for name in sorted(members)).encode()
    members["png/airplane/Thumbs.db"] = b"junk"
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return _splits.tally(keys, _splits.ALL)


sketch = DatasetSpec(
    name="sketch",
    description="20,000 non-expert sketches of 250 everyday object categories, 80 per category, 1111x1111 greyscale.",
    homepage="https://cybertron.cg.tu-berlin.de/eitz/projects/classifysketch/",
    citation="Eitz, M., Hays, J., Alexa, M. How Do Humans Sketch Objects? ACM Transactions on Graphics 31(4), SIGGRAPH 2012.",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples=NUM_EXAMPLES,
    unconfirmed="whether the zip's crane folder is 'crane' or 'crane (machine)' (both are read)",
    evidence=Evidence(
        "real listing",
        source="SamuelCr99/AI_Pictionary@123d192a03f7e16af806fb5253048af6599a9d26:png/filelist.txt "
        "(the zip's list: 20,000 '<category>/<n>.png' lines, 80 consecutive numbers per category "
        "in sorted order; the crane folder spelled 'crane')",
        listing="sketch.json.gz",
    ),
    dm_nevis_differences=(
        "Class ids follow the sorted category names; dm_nevis uses the unsorted order of its "
        "folder listing (snail, candle, crane (machine), ...)."
    ),
)
