"""LFW-a: the Labeled Faces in the Wild photos aligned by a commercial face aligner,
identity classification over the 423 people with at least five photos.

Homepage https://talhassner.github.io/home/projects/lfwa/index.html (Wolf, Hassner,
Taigman, "Effective Unconstrained Face Recognition by Combining Multiple Descriptors
and Learned Background Statistics", TPAMI 2011; LFW itself: Huang et al., 2007). One
zip from Google Drive with one folder per person holding ``<Person>_<NNNN>.jpg``
(250x250, mostly greyscale JPEGs, converted to RGB); only ``.jpg`` members count and
the folders above the person's are ignored. The task keeps the people with at least 5
photos: 423 people, 5,985 photos. Their names are listed below (sorted: the label is
the position), taken from the per-person image counts distributed with LFW (name,
count for all 5,749 people), where exactly 423 names have >= 5 images, 5,985 in all;
the handler also derives the set from the zip's own listing and fails if a folder
with >= 5 photos is not a listed person or a listed person has fewer. Splits are fixed per person, by photo number (the key order,
not archive order): the last 2 photos are ``test``, the one before ``dev-test``, the one
before ``dev``, all earlier ones ``train``.
"""

import posixpath
import zipfile
from collections import Counter
from pathlib import Path

from data.types import Example, Features
from handlers import _class_splits, _fixtures, _readers
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("lfwa.zip", gdrive_id="1p1wjaqpTh_5RHfJu4vUh8JJCdKwYMHCp", content_disposition=True,
             md5="96313a4780499f939bc4a06d5bebaf7d"),
)
MIN_IMAGES = 5

CLASS_NAMES = tuple(sorted("""
Abdullah_Gul Adrien_Brody Ahmed_Chalabi Ai_Sugiyama Al_Gore Al_Sharpton Alan_Greenspan
Alastair_Campbell Albert_Costa Alejandro_Toledo Ali_Naimi Allyson_Felix Alvaro_Uribe Amelia_Vega
Amelie_Mauresmo Ana_Guevara Ana_Palacio Andre_Agassi Andy_Roddick Angela_Bassett Angela_Merkel
Angelina_Jolie Ann_Veneman Anna_Kournikova Antonio_Banderas Antonio_Palocci Ari_Fleischer
Ariel_Sharon Arminio_Fraga Arnold_Schwarzenegger Arnoldo_Aleman Ashanti Atal_Bihari_Vajpayee
Ben_Affleck Benazir_Bhutto Benjamin_Netanyahu Bernard_Law Bertie_Ahern Bill_Clinton Bill_Frist
Bill_Gates Bill_Graham Bill_McBride Bill_Simon Billy_Crystal Binyamin_Ben-Eliezer Bob_Graham
Bob_Hope Bob_Stoops Boris_Becker Brad_Johnson Britney_Spears Bulent_Ecevit Calista_Flockhart
Cameron_Diaz Carla_Del_Ponte Carlos_Menem Carlos_Moya Carmen_Electra Carrie-Anne_Moss
Catherine_Deneuve Catherine_Zeta-Jones Celine_Dion Cesar_Gaviria Chanda_Rubin Charles_Moose
Charles_Taylor Charlton_Heston Chen_Shui-bian Choi_Sung-hong Christine_Baumgartner
Christine_Todd_Whitman Ciro_Gomes Clara_Harris Claudia_Pechstein Clay_Aiken Clint_Eastwood
Colin_Farrell Colin_Montgomerie Colin_Powell Condoleezza_Rice Costas_Simitis Cruz_Bustamante
David_Anderson David_Beckham David_Heymann David_Nalbandian David_Trimble David_Wells
Dennis_Hastert Dennis_Kucinich Denzel_Washington Diana_Krall Dick_Cheney Dominique_de_Villepin
Donald_Rumsfeld Edmund_Stoiber Eduard_Shevardnadze Eduardo_Duhalde Edward_Lu Elizabeth_Hurley
Elizabeth_Smart Elsa_Zylberstein Elton_John Emanuel_Ginobili Emma_Watson Enrique_Bolanos
Erika_Harold Fernando_Gonzalez Fernando_Henrique_Cardoso Fidel_Castro Frank_Solich Fujio_Cho
Gene_Robinson Geoff_Hoon George_Clooney George_HW_Bush George_Lopez George_Pataki
George_Robertson George_W_Bush Gerhard_Schroeder Gerry_Adams Gil_de_Ferran
Gloria_Macapagal_Arroyo Goldie_Hawn Gonzalo_Sanchez_de_Lozada Gordon_Brown Grant_Hackett
Gray_Davis Gregg_Popovich Guillermo_Coria Gunter_Pleuger Gwyneth_Paltrow Habib_Rizieq Hal_Gehman
Halle_Berry Hamid_Karzai Hans_Blix Harrison_Ford Heidi_Klum Heizo_Takenaka Hillary_Clinton
Hitomi_Soga Holly_Hunter Hosni_Mubarak Howard_Dean Hu_Jintao Hugh_Grant Hugo_Chavez Ian_Thorpe
Igor_Ivanov JK_Rowling Jack_Straw Jackie_Chan Jacques_Chirac Jacques_Rogge Jake_Gyllenhaal
James_Blake James_Kelly James_Wolfensohn Jan_Ullrich Jason_Kidd Javier_Solana Jay_Garner
Jean-David_Levitte Jean-Pierre_Raffarin Jean_Charest Jean_Chretien Jeb_Bush Jelena_Dokic
Jennifer_Aniston Jennifer_Capriati Jennifer_Garner Jennifer_Lopez Jeong_Se-hyun
Jeremy_Greenstock Jesse_Jackson Jiang_Zemin Jim_Furyk Jimmy_Carter Jiri_Novak Joan_Laporta
Joe_Lieberman John_Abizaid John_Allen_Muhammad John_Ashcroft John_Bolton John_Edwards
John_Howard John_Kerry John_Manley John_McCain John_Negroponte John_Paul_II John_Snow
John_Stockton John_Travolta Jon_Gruden Jonathan_Edwards Joschka_Fischer
Jose_Manuel_Durao_Barroso Jose_Maria_Aznar Jose_Serra Joseph_Biden Juan_Carlos_Ferrero
Juan_Pablo_Montoya Julianne_Moore Julie_Gerberding Junichiro_Koizumi Justin_Timberlake
Justine_Pasek Kalpana_Chawla Kamal_Kharrazi Kate_Hudson Keanu_Reeves Kevin_Costner Kevin_Spacey
Kim_Clijsters Kim_Dae-jung Kim_Ryong-sung King_Abdullah_II Kofi_Annan Kristanna_Loken
Kurt_Warner Lance_Armstrong Lance_Bass Larry_Brown Laura_Bush LeBron_James Leonardo_DiCaprio
Leonid_Kuchma Li_Peng Li_Zhaoxing Lindsay_Davenport Liza_Minnelli Lleyton_Hewitt Lucio_Gutierrez
Lucy_Liu Ludivine_Sagnier Luis_Ernesto_Derbez_Bautista Luis_Gonzalez_Macchi Luis_Horna
Luiz_Inacio_Lula_da_Silva Madonna Mahathir_Mohamad Mahmoud_Abbas Marcelo_Rios
Marco_Antonio_Barrera Maria_Shriver Maria_Soledad_Alvear_Valenzuela Mariah_Carey Mark_Hurlbert
Mark_Philippoussis Martha_Stewart Martin_McGuinness Martin_Scorsese Martina_McBride
Matthew_Perry Megawati_Sukarnoputri Meryl_Streep Michael_Bloomberg Michael_Chang Michael_Chiklis
Michael_Douglas Michael_Jackson Michael_Phelps Michael_Powell Michael_Schumacher Michelle_Kwan
Michelle_Yeoh Mick_Jagger Mike_Krzyzewski Mike_Martz Mike_Myers Mike_Weir Mireya_Moscoso
Mohamed_ElBaradei Mohammad_Khatami Mohammed_Al-Douri Monica_Seles Muhammad_Ali
Muhammad_Saeed_al-Sahhaf Nadia_Petrova Naji_Sabri Nancy_Pelosi Naomi_Watts Natalie_Coughlin
Natalie_Maines Nestor_Kirchner Nia_Vardalos Nicanor_Duarte_Frutos Nick_Nolte Nicole_Kidman
Norah_Jones Norm_Coleman Oscar_De_La_Hoya Oswaldo_Paya Pamela_Anderson Paradorn_Srichaphan
Paul_Bremer Paul_Burrell Paul_Martin Paul_McCartney Paul_ONeill Paul_Wolfowitz Paula_Radcliffe
Pedro_Almodovar Pedro_Malan Pervez_Musharraf Pete_Sampras Peter_Struck Pierce_Brosnan
Prince_Charles Princess_Caroline Queen_Elizabeth_II Queen_Rania Rainer_Schuettler
Ralf_Schumacher Ray_Romano Recep_Tayyip_Erdogan Renee_Zellweger Ricardo_Lagos Ricardo_Sanchez
Richard_Armitage Richard_Gephardt Richard_Gere Richard_Myers Richard_Virenque Rick_Perry
Rob_Marshall Robert_Blake Robert_De_Niro Robert_Duvall Robert_Kocharian Robert_Mueller
Robert_Redford Robert_Zoellick Roger_Federer Roger_Moore Roh_Moo-hyun Roman_Polanski
Romano_Prodi Ron_Dittemore Roy_Moore Rubens_Barrichello Rudolph_Giuliani Russell_Simmons
Saddam_Hussein Salma_Hayek Sarah_Hughes Sarah_Jessica_Parker Scott_McClellan Scott_Peterson
Sean_OKeefe Serena_Williams Sergei_Ivanov Sergey_Lavrov Sergio_Vieira_De_Mello Sharon_Stone
Sheryl_Crow Shimon_Peres Silvan_Shalom Silvio_Berlusconi Sophia_Loren Sourav_Ganguly
Spencer_Abraham Steffi_Graf Steve_Lavin Steve_Nash Steven_Spielberg Susan_Sarandon
Sylvester_Stallone Taha_Yassin_Ramadan Tang_Jiaxuan Tariq_Aziz Thabo_Mbeki Thaksin_Shinawatra
Thomas_OBrien Tiger_Woods Tim_Henman Tim_Robbins Tom_Crean Tom_Cruise Tom_Daschle Tom_Hanks
Tom_Harkin Tom_Ridge Tommy_Franks Tommy_Haas Tommy_Thompson Tony_Blair Tony_Stewart Trent_Lott
Tung_Chee-hwa Vaclav_Havel Valentino_Rossi Valery_Giscard_dEstaing Vanessa_Redgrave
Venus_Williams Vicente_Fernandez Vicente_Fox Victoria_Clarke Vincent_Brooks Vladimir_Putin
Vojislav_Kostunica Walter_Mondale Wayne_Ferreira Wen_Jiabao William_Donaldson William_Ford_Jr
William_Macy Winona_Ryder Woody_Allen Xanana_Gusmao Xavier_Malisse Yao_Ming Yashwant_Sinha
Yasser_Arafat Yoko_Ono Yoriko_Kawaguchi Zhu_Rongji Zinedine_Zidane
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}
SPLIT_RULE = _class_splits.sized_rule(
    lambda count: (("train", count - 4), ("dev", 1), ("dev-test", 1)), rest="test", order="key"
)


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    people = people_with_enough_images(_jpeg_names(path))
    for name, data in _readers.zip_members(path, suffixes=(".jpg",), keep=lambda n: _person(n) in people):
        yield Example(key=name, image=data, label=_LABELS[_person(name)])


def people_with_enough_images(names) -> set[str]:
    """The person folders holding at least MIN_IMAGES photos, checked against CLASS_NAMES."""
    counts = Counter(_person(name) for name in names)
    people = {person for person, count in counts.items() if count >= MIN_IMAGES}
    unknown = sorted(people - set(_LABELS))
    if unknown:
        raise ValueError(f"{ARTIFACTS[0].file}: {len(unknown)} people with >= {MIN_IMAGES} photos are "
                         f"not among the {len(CLASS_NAMES)} known, e.g. {unknown[:3]}")
    short = sorted(person for person, count in counts.items() if person in _LABELS and count < MIN_IMAGES)
    if short:
        raise ValueError(f"{ARTIFACTS[0].file}: known people with fewer than {MIN_IMAGES} photos: {short[:3]}")
    return people


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Two listed people (5 and 7 photos, under the real zip's extra folder level), two
    unlisted ones with fewer photos, a colour JPEG among the greyscale ones, and junk."""
    people = {"Abdullah_Gul": 7, "Zinedine_Zidane": 5, "Aaron_Peirsol": 4, "AJ_Cook": 1}
    members, keys, labels = [], [], []
    for p, (person, count) in enumerate(people.items()):
        for i in range(1, count + 1):
            name = f"lfw2/{person}/{person}_{i:04d}.jpg"
            channels = 3 if (p, i) == (0, 3) else 1
            members.append((name, _fixtures.jpeg_bytes(_fixtures.pixels(p * 100 + i, 25, 25, channels))))
            if person in _LABELS:
                keys.append(name)
                labels.append(_LABELS[person])
    members += [("lfw2/Abdullah_Gul/Thumbs.db", b"junk"), ("lfw2/README.txt", b"fixture\n")]
    # Written out of order: splits follow photo numbers, not the archive.
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, sorted(members, reverse=True))
    return _class_splits.counts(SPLIT_RULE, keys, labels)


def _jpeg_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist()
                if name.lower().endswith(".jpg") and not _readers.is_junk(name)]


def _person(name: str) -> str:
    return posixpath.basename(posixpath.dirname(name))


lfwa = DatasetSpec(
    name="lfwa",
    description="5,985 aligned face photos (250x250) of the 423 people of Labeled Faces in the Wild with at least five photos; the label is the person.",
    homepage="https://talhassner.github.io/home/projects/lfwa/index.html",
    citation=(
        "Wolf, L., Hassner, T., Taigman, Y. Effective Unconstrained Face Recognition by Combining "
        "Multiple Descriptors and Learned Background Statistics. IEEE TPAMI 33(10), 2011. "
        "Huang, G. B., Ramesh, M., Berg, T., Learned-Miller, E. Labeled Faces in the Wild: A Database "
        "for Studying Face Recognition in Unconstrained Environments. UMass Amherst TR 07-49, 2007."
    ),
    license="unknown; see homepage (research use; photos collected from news sites)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    split_rule=SPLIT_RULE,
    # 423 people x (n - 4, 1, 1, 2): 5,985 - 4 x 423 = 4,293 train.
    num_examples={"train": 4293, "dev": 423, "dev-test": 423, "test": 846},
    unconfirmed=(
        "the Google Drive file is still shared (dm_nevis flags the link as needing a fix) and "
        "holds the same 13,233 photos in per-person folders (the folder above them is not known); "
        "the license"
    ),
)
