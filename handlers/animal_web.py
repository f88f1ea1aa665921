"""AnimalWeb: faces of 350-odd animal species gathered from the web, one species per image.

Homepage https://fdmaproject.wordpress.com/author/fdmaproject/ (Khan et al., "AnimalWeb:
A Large-Scale Hierarchical Dataset of Annotated Animal Faces", CVPR 2020). The release is
one rar on Google Drive, ``animal_dataset_v1_c.rar``, of JPEGs named
``<species>_<...>.jpg``: the label is the file name's text before its first underscore,
one of 352 tokens (some are not species: ``animal``, ``monte``, ``colo``, ``uc``), kept in
sorted order here. Only members ending in ``.jpg`` (lower case, as dm_nevis reads them)
count; the landmark files beside them are not used. The rar is streamed once, never
unpacked (dm_nevis unpacks it into the artifact folder with ``unrar e``, flattening the
folders and ignoring unrar's exit code). Exact duplicates (same decoded RGB pixels and
label) are dropped, keeping the first in archive order, as dm_nevis does. No official
split: ALL by a hash of the member path.

Evidence: no listing of the rar. Public code that unpacks this Drive file finds one
folder, ``animal_dataset_v1_clean_check/``, of ``<species>_<n>.jpg`` faces with a
``.pts`` landmark file beside each; dm_nevis's reader (every ``jpg`` looked up by the
text before its first underscore in its 352 names) bounds the species tokens.
"""

import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _rar, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("animal_dataset_v1_c.rar", gdrive_id="13PbHxUofhdJLZzql3TyqL22bQJ3HwDK4",
             content_disposition=True, md5="d2d7e0a584ee4bd9badc74a9f2ef3b82"),
)

CLASS_NAMES = tuple(sorted("""
aardvark aardwolf addax adeliepenguin africanpenguin africanwilddog agilewallaby agouti
alaskanhare alaskanmalamute alpaca alpineibex amurleopard amurtiger anatolianshepherddog animal
anoa anteater arcticfox arcticwolf armadillo asiangoldencat asianpalmcivet australiancattledog
australiansealion australianshepherd australianterrier ayeaye babirusa badger baikalseal
balinesecat bamboolemur bandedmongoose bandedpalmcivet bandicoot banteng barbarymacaque
barbarysheep bear beardedseal beatingmongoose beaver bengalslowloris bharal bighornsheep bilby
binturong bison blackandwhiteruffedlemar blackbackedjackal blackbuck blackfootedcat blackrhino
blueeyedblacklemur bluemonkey boar bobcat bolognesedog bongo bonobo bordercollie
borneanslowloris brownhyena brownrat brushtailedrockwallaby buffalo bull bullmastif bushbaby
bushbuck cacomistle caiman californiansealion camel canadianlynx capebuffalo capefox
capegraymongoose capuchinmonkey capybara caracal caribou centralchimpanzee chamois cheetah
chihuahua chinesegoral chinstrappenguin chipmunk chital chowchow cloudedleopard coatis
collaredbrownlemur collaredpeccary colo colobus commonbrownlemur commonchimpanzee
commondwarfmongoose commongenet commonkusimanse commonwarthog corsacfox cottonrat cougar coypu
crabeaterseal crestedpenguin crownedlemur cservalserval dachshund dallsheep dalmatian dassie
debrazzasmonkey deer deermouse degu dhole dikdik dingo doberman domesticcat domesticdog donkey
dormouse douclangur dugong duiker dunnart easternchimpanzee easternlesserbamboolemur echidna elk
emperorpenguin ethiopianwolf eurasianlynx fallowdeer fennecfox feralcat feralcattle feralgoat
feralhorse ferret fieldmouse fishingcat flyingsquirrel fox francoislangur frenchbulldog galagos
galapagossealion geladababoon gentoopenguin geoffroyscat gerbil gerenuk germanpinscher
germanshepherddog gharial giantotter giantschnauzer gibbons giraffe goat goldenbamboolemur
goldenjackal goldenlangur goldenretriever goodfellowstreekangaroo gorilla grayfox graywolf
greatdane greaterbamboolemur greylangur greyseal grizzlybear guanaco guineapig gundi
hamadryasbaboon hamster harbourseal hare harpseal hartebeest harvestmouse hawaiianmonkseal
hedgehog hippopotamus hogdeer hoodedseal horse howler humboldtpenguin husky hyrax indri
irishwolfhound italiangreyhound jackrabbit jaguar jaguarundi japanesemacaque japaneseserow
junglecat kangaroo kiang kingpenguin kinkajou klipspringer koala komondor kultarr
largespottedgenet lemur leopard leopardcat leopardseal liger lionpd littlebluepenguin
longnosedmongoose lumholtzstreekangaroo lutung magellanicpenguin mangabey mareebarockwallaby
margay marmoset marshmongoose matschiestreekangaroo medraneanmonkseal mexicanwolf monkey monte
mouflon muntjacdeer muriqui muskox nightmonkey nilgai northernelephantseal ocelot olingos
olivebaboon onager oncilla opossum orangutan oribi oryx owstonspalmcivet pademelon pallascat
panda pantanalcat pardinegenet parmawallaby patagonianmara patasmonkey pekingesedog platypus
possum potoroo potto proboscismonkey przewalskihorse pygmyrabbit pygmyslowloris quokka quoll
raccoon redbelliedsquirrel redneckedwallaby redpanda redruffedlemur redtailmonkey reedbuck
rhesusmonkey rhinoceros ribbonseal ringtail roanantelope roedeer ruddymongoose rustyspottedcat
rustyspottedgenet saluki sandcat servalinegenet sharpesgrysbok slendermongoose
smallasianmongoose snowleopard southernelephantseal spidermonkey spottedhyena spottedneckedotter
spottedseal steinbucksteenbok stripedhyena stripeneckedmongoose sundaslowloris suni swamprabbit
swampwallaby swiftfox tamarin tammarwallaby tarsiers tasmaniandevil titi topi toquemacaque
treeshrew uakari uc urial vervetmonkey visayanwartypig viverratangalungamalayancivet vole
wallaroo walrus wapiti waterbuck weasel weddellseal westernchimpanzee westernlesserbamboolemur
whiptailwallaby whiteheadedlemur whitetaileddeer whitewolf wildass wildcat wildebeest wisent
wolverine wombat woodchuck woollymonkey yak yelloweyedpenguin yellowfootedrockwallaby zebra zebu
zonkey
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    archive = artifacts_dir / ARTIFACTS[0].file
    labelled = (
        Example(key=name, image=data, label=species_label(name, archive.name),
                split=_splits.by_fraction(name, _splits.ALL))
        for name, data in _rar.rar_members(archive, keep=lambda n: n.endswith(".jpg"))
    )
    return _readers.drop_exact_duplicates(labelled, "RGB", archive.name)


def species_label(name: str, archive: str) -> int:
    """The class of ``<folders>/<species>_<rest>.jpg``."""
    species = posixpath.basename(name).split("_", 1)[0]
    if species not in _LABELS:
        raise ValueError(f"{archive}: {name} starts with {species!r}, which is not one of the "
                         f"{len(CLASS_NAMES)} known species")
    return _LABELS[species]


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Faces of three species (odd tokens among them), each with its landmark file; one
    greyscale JPEG; an upper-case .JPG (not read); an exact duplicate (dropped) and the same
    pixels under another species (kept)."""
    root = "animal_dataset_v1_clean_check/"
    species = ("arcticfox", "lionpd", "uc")
    members, counts = [], _splits.SplitSizes()

    def add(name: str, data: bytes, counted: bool = True) -> None:
        members.append((root + name, data))
        members.append((root + name[: -len(".jpg")] + ".pts", b"version: 1\nn_points: 9\n{\n}\n"))
        if counted:
            split = _splits.by_fraction(root + name, _splits.ALL)
            counts.add(split)

    for s, animal in enumerate(species):
        for i in range(1, 9):
            channels = 1 if (s, i) == (1, 2) else 3
            add(f"{animal}_{i:03d}.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(s * 50 + i, 14, 12, channels)))
    first = members[0][1]
    add("arcticfox_100.jpg", first, counted=False)  # arcticfox_001 again
    add("uc_100.jpg", first)  # same pixels, other label: not a duplicate
    members.append((root + "lionpd_200.JPG", _fixtures.jpeg_bytes(_fixtures.pixels(999, 14, 12, 3))))
    _rar.write_rar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


animal_web = DatasetSpec(
    name="animal_web",
    description="Web photos of animal faces, labelled with one of 352 species tokens (exact duplicates dropped).",
    homepage="https://fdmaproject.wordpress.com/author/fdmaproject/",
    citation="Khan, M. H., McDonagh, J., Khan, S., Shahabuddin, M., Arora, A., Khan, F. S., Shao, L., Tzimiropoulos, G. AnimalWeb: A Large-Scale Hierarchical Dataset of Annotated Animal Faces. CVPR, 2020.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    unconfirmed=(
        "the md5 (dm_nevis pinned d2d7e0a5... at one commit and e7d6ee76... at another); the number "
        "of images and of exact duplicates, hence no num_examples"
    ),
    evidence=Evidence(
        "unverified",
        source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/animal_web.py (every "
        "extracted *jpg labelled by the text before its first underscore, one of 352 names)",
    ),
    dm_nevis_differences="The rar is read member by member, not unpacked with unrar's flattening "
    "'e' (where a later file overwrites an earlier one of the same base name); the 352 classes are "
    "in sorted order rather than dm_nevis's own.",
)
