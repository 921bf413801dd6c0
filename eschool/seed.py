"""The people part of the demo school: staff, classes 7A and 7B, pupils and their parents."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import (
    AcademicYear,
    Enrolment,
    Guardianship,
    Role,
    School,
    SchoolClass,
    User,
)
from eschool.security import hash_password
from eschool.services import school_create, year_create

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of every demo account

STAFF = [
    ("admin", "Ольга Сергеевна Миронова", Role.admin),
    ("teacher", "Анна Викторовна Петрова", Role.teacher),
    ("teacher2", "Елена Игоревна Смирнова", Role.teacher),
    ("physics", "Дмитрий Андреевич Волков", Role.teacher),
    ("history", "Игорь Павлович Соколов", Role.teacher),
    ("biology", "Марина Олеговна Лебедева", Role.teacher),
    ("geography", "Сергей Николаевич Козлов", Role.teacher),
]

BOYS = [
    "Александр",
    "Максим",
    "Артём",
    "Михаил",
    "Даниил",
    "Иван",
    "Кирилл",
    "Егор",
    "Матвей",
    "Тимофей",
    "Никита",
    "Илья",
    "Роман",
    "Лев",
    "Марк",
    "Фёдор",
    "Глеб",
    "Степан",
]
GIRLS = [
    "София",
    "Анна",
    "Мария",
    "Алиса",
    "Виктория",
    "Полина",
    "Елизавета",
    "Дарья",
    "Варвара",
    "Ксения",
    "Вероника",
    "Милана",
    "Ева",
    "Арина",
    "Таисия",
    "Ульяна",
    "Вера",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
]
FATHER_NAMES = ["Андрей", "Алексей", "Сергей", "Дмитрий", "Павел", "Олег", "Николай", "Игорь"]
MOTHER_NAMES = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Юлия", "Марина"]
TRANSLIT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)
PUPILS_PER_CLASS = 27


@dataclass
class DemoPeople:
    """What the other packages' seeds build on."""

    school: School
    year: AcademicYear
    classes: dict[str, SchoolClass]
    staff: dict[str, User]
    pupils: dict[str, list[User]] = field(default_factory=dict)


def academic_year_bounds(today: date) -> tuple[str, date, date]:
    """The Russian academic year containing ``today``: 1 September to 31 May (then summer)."""
    first = today.year if today.month >= 8 else today.year - 1
    return f"{first}/{first + 1}", date(first, 9, 1), date(first + 1, 5, 31)


def _female(surname: str) -> str:
    return surname + "а"


def _login(first: str, surname: str, taken: set[str]) -> str:
    base = f"{first[0]}.{surname}".lower().translate(TRANSLIT)
    login, n = base, 1
    while login in taken:
        n += 1
        login = f"{base}{n}"
    taken.add(login)
    return login


async def demo_school(session: AsyncSession) -> School | None:
    """The demo school, if it has been created."""
    return (await session.exec(select(School).where(School.slug == DEMO_SLUG))).first()


async def load_demo_people(session: AsyncSession, school: School) -> DemoPeople:
    """Read back the demo people (for the packages' seeds on an existing school)."""
    year = (
        await session.exec(select(AcademicYear).where(AcademicYear.school_id == school.id))
    ).first()
    assert year is not None
    classes = {
        c.name: c
        for c in (await session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)))
    }
    staff = {
        u.login: u
        for u in await session.exec(
            select(User).where(
                User.school_id == school.id, User.role != Role.pupil, User.role != Role.parent
            )
        )
    }
    people = DemoPeople(school=school, year=year, classes=classes, staff=staff)
    for name, school_class in classes.items():
        rows = await session.exec(
            select(User)
            .join(Enrolment, col(Enrolment.pupil_id) == col(User.id))
            .where(Enrolment.class_id == school_class.id)
            .order_by(User.name)
        )
        people.pupils[name] = list(rows.all())
    return people


async def seed_people(session: AsyncSession, *, today: date) -> tuple[DemoPeople, bool]:
    """Create the people of the demo school; returns (people, created_now)."""
    existing = await demo_school(session)
    if existing is not None:
        return await load_demo_people(session, existing), False
    rng = random.Random(57)  # the same school every time
    password_hash = hash_password(DEMO_PASSWORD)
    school = await school_create(session, name="Школа № 57 (демо)", slug=DEMO_SLUG)
    name, starts, ends = academic_year_bounds(today)
    year = await year_create(
        session, actor=None, school=school, name=name, starts=starts, ends=ends
    )

    def user(login: str, full_name: str, role: Role) -> User:
        person = User(
            school_id=school.id or 0,
            login=login,
            name=full_name,
            role=role,
            password_hash=password_hash,
        )
        session.add(person)
        return person

    staff = {login: user(login, full_name, role) for login, full_name, role in STAFF}
    await session.flush()
    classes = {}
    for class_name, tutor in (("7A", staff["teacher"]), ("7B", staff["history"])):
        classes[class_name] = SchoolClass(
            school_id=school.id or 0,
            year_id=year.id or 0,
            name=class_name,
            grade=7,
            form_tutor_id=tutor.id,
        )
        session.add(classes[class_name])
    await session.flush()

    taken = {login for login, _n, _r in STAFF} | {"pupil", "pupil2", "parent"}
    people = DemoPeople(school=school, year=year, classes=classes, staff=staff)
    surnames = SURNAMES[:]
    rng.shuffle(surnames)
    for index, class_name in enumerate(("7A", "7B")):
        pupils = []
        for number in range(PUPILS_PER_CLASS):
            surname = surnames[(index * PUPILS_PER_CLASS + number) % len(surnames)]
            girl = rng.random() < 0.5
            first = rng.choice(GIRLS if girl else BOYS)
            full_surname = _female(surname) if girl else surname
            login = (
                ("pupil" if index == 0 else "pupil2")
                if number == 0
                else _login(first, surname, taken)
            )
            pupil = user(login, f"{full_surname} {first}", Role.pupil)
            pupils.append(pupil)
            mother = rng.random() < 0.6
            parent_first = rng.choice(MOTHER_NAMES if mother else FATHER_NAMES)
            parent_surname = _female(surname) if mother else surname
            parent_login = "parent" if login == "pupil" else f"p.{login}"
            parent = user(parent_login, f"{parent_surname} {parent_first}", Role.parent)
            taken.add(parent_login)
            await session.flush()
            session.add(Enrolment(class_id=classes[class_name].id or 0, pupil_id=pupil.id or 0))
            session.add(Guardianship(parent_id=parent.id or 0, child_id=pupil.id or 0))
        people.pupils[class_name] = sorted(pupils, key=lambda p: p.name)
    await session.commit()
    return people, True
