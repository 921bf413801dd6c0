"""The library part of the demo school: real published lessons by the demo teachers.

Each lesson has several text blocks of teaching content, a picture drawn for it (an SVG
from ``seed_assets/``, stored through the same content-addressed store as uploads) and a
quiz with several kinds of question; some have a poll and a whiteboard. Idempotent: a
lesson whose author already has one of that title is skipped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.seed import DemoPeople
from eschool.settings import Settings
from eschool.uploads.services import upload_store_bytes
from lessons.models import Lesson, LessonCreate
from lessons.services import lesson_create, lesson_publish

SEED_ASSETS = Path(__file__).resolve().parent / "seed_assets"
PICTURE = "picture"  # the placeholder an image block uses for the lesson's own SVG


def text(markdown: str) -> dict[str, Any]:
    """A text block."""
    return {"kind": "text", "text": markdown.strip()}


def image(alt: str) -> dict[str, Any]:
    """An image block showing the lesson's own picture."""
    return {"kind": "image", "asset": PICTURE, "alt": alt}


def quiz(*questions: dict[str, Any]) -> dict[str, Any]:
    """A quiz block."""
    return {"kind": "quiz", "questions": list(questions)}


def poll(prompt: str, *options: str) -> dict[str, Any]:
    """A poll block."""
    return {"kind": "poll", "prompt": prompt, "options": list(options)}


def whiteboard(*, over_picture: bool = False) -> dict[str, Any]:
    """A whiteboard block, blank or over the lesson's picture."""
    return {"kind": "whiteboard", "background": PICTURE if over_picture else None}


def single(prompt: str, options: list[str], answer: int, points: int = 1) -> dict[str, Any]:
    """A one-answer question (``answer`` is the option index)."""
    return {
        "kind": "single",
        "prompt": prompt,
        "options": options,
        "answer": answer,
        "points": points,
    }


def multiple(prompt: str, options: list[str], answer: list[int]) -> dict[str, Any]:
    """A several-answers question."""
    return {"kind": "multiple", "prompt": prompt, "options": options, "answer": answer, "points": 2}


def typed(prompt: str, *accepted: str) -> dict[str, Any]:
    """A typed-answer question with its accepted spellings."""
    return {"kind": "text", "prompt": prompt, "answer": list(accepted)}


def number(prompt: str, value: float, tolerance: float = 0) -> dict[str, Any]:
    """A numeric question."""
    return {"kind": "number", "prompt": prompt, "answer": {"value": value, "tolerance": tolerance}}


def order(prompt: str, options: list[str], answer: list[int]) -> dict[str, Any]:
    """An ordering question (``answer``: option indices in the right order)."""
    return {"kind": "order", "prompt": prompt, "options": options, "answer": answer, "points": 2}


def match(
    prompt: str, left: list[str], right: list[str], answer: list[list[int]]
) -> dict[str, Any]:
    """A matching question (``answer``: [left, right] pairs)."""
    return {
        "kind": "match",
        "prompt": prompt,
        "options": {"left": left, "right": right},
        "answer": answer,
        "points": 2,
    }


LESSONS: list[dict[str, Any]] = [
    {
        "author": "teacher",
        "svg": "balance.svg",
        "title": "Линейные уравнения с одной переменной",
        "summary": "Что такое корень уравнения и как решать уравнения вида ax + b = c, "
        "сохраняя равновесие.",
        "subject": "Mathematics",
        "grades": [7],
        "tags": ["алгебра", "уравнения"],
        "blocks": [
            text("""
## Что такое уравнение

**Уравнение** — это равенство, содержащее неизвестное число, обозначенное буквой.
**Корень уравнения** — значение переменной, при котором равенство становится верным.

Например, число 4 — корень уравнения $2x + 3 = 11$, потому что $2 \\cdot 4 + 3 = 11$.
"""),
            image("Весы в равновесии: на левой чаше 2x и 3 гири, на правой 11 гирь"),
            text("""
## Уравнение как весы

Уравнение похоже на весы в равновесии. Равновесие сохранится, если:

1. к обеим чашам добавить (или убрать) одно и то же;
2. обе чаши увеличить (или уменьшить) в одно и то же число раз, не равное нулю.

Решим $2x + 3 = 11$:

| шаг | что делаем | получаем |
|---|---|---|
| 1 | вычитаем 3 из обеих частей | $2x = 8$ |
| 2 | делим обе части на 2 | $x = 4$ |
"""),
            text("""
## Алгоритм решения уравнения ax + b = c

- перенести слагаемые без переменной в правую часть, **меняя знак**;
- привести подобные слагаемые;
- разделить обе части на коэффициент при $x$ (если он не равен нулю).

> Если после переноса получилось $0 \\cdot x = 5$ — корней нет;
> если $0 \\cdot x = 0$ — корнем является любое число.
"""),
            poll(
                "Как вам удобнее решать уравнения?",
                "Весами",
                "Переносом слагаемых",
                "Пока не понял(а)",
            ),
            quiz(
                single("Какое число — корень уравнения 3x − 5 = 10?", ["3", "5", "15"], 1),
                number("Решите уравнение 5x + 2 = 3x + 12. Чему равен x?", 5),
                multiple(
                    "Какие уравнения имеют корень x = 2?",
                    ["x + 3 = 5", "2x = 6", "4x − 1 = 7", "x − 2 = 2"],
                    [0, 2],
                ),
                typed(
                    "Как называется значение переменной, обращающее уравнение в верное равенство?",
                    "корень",
                    "корень уравнения",
                ),
            ),
            whiteboard(),
        ],
    },
    {
        "author": "teacher",
        "svg": "fractions.svg",
        "title": "Сложение и вычитание обыкновенных дробей",
        "summary": "Дроби с одинаковыми и разными знаменателями: общий знаменатель и "
        "дополнительные множители.",
        "subject": "Mathematics",
        "grades": [5, 6],
        "tags": ["дроби", "арифметика"],
        "blocks": [
            text("""
## Одинаковые знаменатели

Чтобы сложить дроби с одинаковыми знаменателями, складывают числители, а знаменатель
оставляют прежним:

$$\\frac{1}{4} + \\frac{2}{4} = \\frac{3}{4}$$
"""),
            image("Три круга: четверть плюс две четверти равно три четверти"),
            text("""
## Разные знаменатели

1. Найдите **наименьший общий знаменатель** — НОК знаменателей.
2. Найдите **дополнительный множитель** для каждой дроби: общий знаменатель разделить
   на её знаменатель.
3. Умножьте числитель и знаменатель каждой дроби на её множитель и сложите.

Пример: $\\frac{1}{3} + \\frac{1}{4} = \\frac{4}{12} + \\frac{3}{12} = \\frac{7}{12}$.
"""),
            text("""
## Вычитание

Вычитают так же: приводят к общему знаменателю и вычитают числители.
$\\frac{5}{6} - \\frac{1}{4} = \\frac{10}{12} - \\frac{3}{12} = \\frac{7}{12}$.

Не забудьте **сократить** ответ, если это возможно: $\\frac{2}{8} = \\frac{1}{4}$.
"""),
            quiz(
                single("Сколько будет 2/7 + 3/7?", ["5/14", "5/7", "6/7"], 1),
                number("Запишите 1/2 + 1/4 десятичной дробью", 0.75, 0.001),
                order(
                    "Расставьте шаги сложения дробей с разными знаменателями по порядку",
                    [
                        "Сложить числители",
                        "Найти общий знаменатель",
                        "Найти дополнительные множители",
                    ],
                    [1, 2, 0],
                ),
                typed(
                    "Как называется число, на которое умножают числитель и знаменатель дроби?",
                    "дополнительный множитель",
                    "множитель",
                ),
            ),
            whiteboard(over_picture=True),
        ],
    },
    {
        "author": "teacher",
        "svg": "powers.svg",
        "title": "Степень с натуральным показателем",
        "summary": "Определение степени, квадрат и куб числа, свойства степеней.",
        "subject": "Mathematics",
        "grades": [7],
        "tags": ["алгебра", "степени"],
        "blocks": [
            text("""
## Определение

**Степенью** числа $a$ с натуральным показателем $n > 1$ называется произведение
$n$ множителей, каждый из которых равен $a$:

$$a^n = \\underbrace{a \\cdot a \\cdot \\ldots \\cdot a}_{n}$$

$a$ — **основание** степени, $n$ — **показатель**. По определению $a^1 = a$.
"""),
            image("Квадрат из девяти клеток и куб из двадцати семи кубиков"),
            text("""
## Квадрат и куб

Вторую степень называют **квадратом** (площадь квадрата со стороной $a$ равна $a^2$),
третью — **кубом** (объём куба с ребром $a$ равен $a^3$).

Знак степени отрицательного числа: чётная степень положительна, нечётная — отрицательна:
$(-2)^4 = 16$, $(-2)^3 = -8$.
"""),
            text("""
## Свойства степеней

- $a^m \\cdot a^n = a^{m+n}$
- $a^m : a^n = a^{m-n}$ (при $a \\ne 0$, $m > n$)
- $(a^m)^n = a^{mn}$
- $(ab)^n = a^n b^n$
"""),
            quiz(
                number("Вычислите 2⁵", 32),
                single("Чему равно (−3)²?", ["−9", "9", "−6", "6"], 1),
                match(
                    "Соедините выражение и результат",
                    ["a³ · a²", "(a³)²", "a⁶ : a²"],
                    ["a⁵", "a⁶", "a⁴"],
                    [[0, 0], [1, 1], [2, 2]],
                ),
            ),
        ],
    },
    {
        "author": "teacher2",
        "svg": "participle.svg",
        "title": "Причастный оборот",
        "summary": "Что такое причастный оборот и когда он выделяется запятыми.",
        "subject": "Russian language",
        "grades": [7],
        "tags": ["причастие", "пунктуация"],
        "blocks": [
            text("""
## Что такое причастный оборот

**Причастный оборот** — это причастие вместе с зависимыми словами:
*опавшие* **с деревьев**, *написанное* **учеником**.

В предложении причастный оборот является **одним членом предложения** —
согласованным определением.
"""),
            image("Схема: существительное, затем причастный оборот, выделенный запятыми"),
            text("""
## Когда ставить запятые

| место оборота | пример | запятые |
|---|---|---|
| **после** определяемого слова | Листья, опавшие с деревьев, шуршат. | нужны |
| **перед** определяемым словом | Опавшие с деревьев листья шуршат. | не нужны |

Одиночное причастие запятыми обычно не выделяется: *Опавшие листья шуршат.*
"""),
            text("""
## Как найти определяемое слово

Задайте от существительного вопрос **какой?** к причастию: листья (*какие?*) опавшие.
Причастный оборот всегда относится к существительному или местоимению.
"""),
            quiz(
                single(
                    "В каком предложении нужны запятые?",
                    [
                        "Написанное карандашом письмо лежало на столе.",
                        "Письмо написанное карандашом лежало на столе.",
                        "Письмо лежало на столе.",
                    ],
                    1,
                ),
                multiple(
                    "Выберите словосочетания с причастным оборотом",
                    [
                        "прочитанная вчера книга",
                        "читая книгу",
                        "книга на столе",
                        "поющий в саду соловей",
                    ],
                    [0, 3],
                ),
                typed(
                    "Каким членом предложения является причастный оборот?",
                    "определение",
                    "согласованное определение",
                ),
            ),
            poll("Какая тема вызывает затруднения?", "Поиск оборота", "Запятые", "Всё понятно"),
        ],
    },
    {
        "author": "teacher2",
        "svg": "tenses.svg",
        "title": "Present Perfect or Past Simple?",
        "summary": "Choosing between the two tenses: finished time or a link to now.",
        "subject": "English",
        "grades": [7],
        "tags": ["grammar", "tenses"],
        "language": "en",
        "blocks": [
            text("""
## Two ways to talk about the past

**Past Simple** tells us about a finished action at a finished time:
*I visited Kazan **last summer**.*

**Present Perfect** (*have/has + past participle*) links the past with **now**:
*I **have visited** Kazan twice.* — my experience up to now.
"""),
            image("A timeline: yesterday is a point in the past; since 2020 is an arrow up to now"),
            text("""
## Signal words

| Past Simple | Present Perfect |
|---|---|
| yesterday, last week, in 2019, ago | ever, never, already, yet, just |
| When…? | since, for, so far |

Don't use Present Perfect with a finished time:
~~I have seen him yesterday.~~ → *I saw him yesterday.*
"""),
            text("""
## Forming the Present Perfect

- I / you / we / they **have** + V3: *They have finished.*
- he / she / it **has** + V3: *She has lost her key.*
- Questions: *Have you ever been to London?* — *Yes, I have.* / *No, I haven't.*
"""),
            quiz(
                single(
                    "Choose the right form: I ___ my homework already.",
                    ["did", "have done", "do"],
                    1,
                ),
                typed("Past participle (V3) of the verb “go”:", "gone"),
                order(
                    "Put the words in order: she / ever / has / been / to Paris",
                    ["been", "Has", "she", "to Paris?", "ever"],
                    [1, 2, 4, 0, 3],
                ),
                match(
                    "Match the signal word to the tense",
                    ["yesterday", "since 2020", "two days ago"],
                    ["Past Simple", "Present Perfect"],
                    [[0, 0], [1, 1], [2, 0]],
                ),
            ),
            poll(
                "Which tense is harder for you?", "Past Simple", "Present Perfect", "Both are fine"
            ),
        ],
    },
    {
        "author": "physics",
        "svg": "friction.svg",
        "title": "Сила трения",
        "summary": "Трение покоя и скольжения, от чего зависит сила трения, как её измерить "
        "динамометром.",
        "subject": "Physics",
        "grades": [7],
        "tags": ["механика", "силы"],
        "blocks": [
            text("""
## Откуда берётся трение

Поверхности тел никогда не бывают идеально гладкими: неровности цепляются друг за друга,
а молекулы соприкасающихся тел притягиваются. Возникает **сила трения** — она направлена
**против движения** (или против того направления, куда тело пытаются сдвинуть).
"""),
            image("Брусок на столе: тяга вправо, трение влево, тяжесть вниз, реакция опоры вверх"),
            text("""
## Виды трения

- **трение покоя** — не даёт телу сдвинуться с места;
- **трение скольжения** — при скольжении одного тела по другому;
- **трение качения** — при качении; оно во много раз меньше трения скольжения.

Сила трения скольжения: $F_{тр} = \\mu N$, где $N$ — сила нормальной реакции опоры,
$\\mu$ — коэффициент трения (зависит от материалов и обработки поверхностей).
"""),
            text("""
## Опыт

Тяните брусок по столу динамометром **равномерно**. Тогда сила тяги уравновешивает силу
трения, и динамометр показывает силу трения. Положите на брусок груз — сила трения
увеличится, потому что возрастёт сила давления на стол.
"""),
            quiz(
                single(
                    "Куда направлена сила трения скольжения?",
                    ["По направлению движения", "Против движения", "Вертикально вверх"],
                    1,
                ),
                number(
                    "Брусок тянут равномерно, динамометр показывает 2,5 Н. "
                    "Чему равна сила трения (в Н)?",
                    2.5,
                    0.01,
                ),
                multiple(
                    "Как можно уменьшить трение?",
                    [
                        "Смазать поверхности",
                        "Заменить скольжение качением",
                        "Увеличить массу тела",
                        "Сделать поверхность шероховатой",
                    ],
                    [0, 1],
                ),
            ),
            whiteboard(over_picture=True),
        ],
    },
    {
        "author": "physics",
        "svg": "binary.svg",
        "title": "Двоичная система счисления",
        "summary": "Как компьютер записывает числа нулями и единицами; перевод из двоичной "
        "системы в десятичную и обратно.",
        "subject": "Informatics",
        "grades": [7, 8],
        "tags": ["системы счисления", "информация"],
        "blocks": [
            text("""
## Позиционная система

В десятичной системе вес цифры зависит от её позиции: в числе 352 тройка означает 300,
а пятёрка — 50. В **двоичной** системе всего две цифры — 0 и 1, а вес каждой позиции
вдвое больше соседней справа: 1, 2, 4, 8, 16, 32…
"""),
            image("Число 45 в двоичной записи 101101: веса позиций 32, 16, 8, 4, 2, 1"),
            text("""
## Из двоичной в десятичную

Сложите веса тех позиций, где стоят единицы:

$101101_2 = 32 + 8 + 4 + 1 = 45_{10}$
"""),
            text("""
## Из десятичной в двоичную

Делите число на 2 и записывайте остатки, пока частное не станет 0; затем прочитайте
остатки **снизу вверх**:

```
13 : 2 = 6, остаток 1
 6 : 2 = 3, остаток 0
 3 : 2 = 1, остаток 1
 1 : 2 = 0, остаток 1
```
$13_{10} = 1101_2$
"""),
            quiz(
                number("Переведите 1010₂ в десятичную систему", 10),
                typed("Запишите число 6 в двоичной системе", "110"),
                single(
                    "Сколько разных чисел можно записать восемью битами?", ["8", "16", "256"], 2
                ),
            ),
            poll("Где вы встречали двоичный код?", "В играх", "В программировании", "Нигде"),
        ],
    },
    {
        "author": "history",
        "svg": "smuta.svg",
        "title": "Смутное время",
        "summary": "Причины Смуты, самозванцы, Семибоярщина, народное ополчение и избрание "
        "Михаила Романова.",
        "subject": "History",
        "grades": [7],
        "tags": ["Россия XVII века", "Смута"],
        "blocks": [
            text("""
## Причины Смуты

- **династический кризис**: в 1598 году умер бездетный царь Фёдор Иванович — династия
  Рюриковичей на московском престоле пресеклась;
- **голод 1601–1603 годов** и недовольство всех сословий;
- вмешательство **Речи Посполитой** и Швеции.
"""),
            image("Лента времени: 1598, 1605, 1610, 1612 и 1613 годы"),
            text("""
## Ход событий

1. **1605** — Лжедмитрий I, выдававший себя за сына Ивана Грозного, занимает Москву.
2. **1606–1610** — правление Василия Шуйского, восстание Ивана Болотникова, Лжедмитрий II.
3. **1610** — бояре свергают Шуйского; власть у **Семибоярщины**, в Кремль впущен польский
   гарнизон.
4. **1611–1612** — Второе ополчение **Кузьмы Минина и князя Дмитрия Пожарского**
   освобождает Москву (4 ноября — День народного единства).
"""),
            text("""
## Итоги

В **1613 году** Земский собор избрал царём **Михаила Фёдоровича Романова**.
Смута закончилась, но страна была разорена; часть земель отошла Швеции и Речи Посполитой.
"""),
            quiz(
                order(
                    "Расставьте события в хронологическом порядке",
                    [
                        "Избрание Михаила Романова",
                        "Смерть Фёдора Ивановича",
                        "Освобождение Москвы ополчением",
                        "Семибоярщина",
                    ],
                    [1, 3, 2, 0],
                ),
                match(
                    "Соедините деятеля и событие",
                    ["Кузьма Минин", "Иван Болотников", "Михаил Романов"],
                    ["Народное ополчение", "Восстание 1606–1607 годов", "Избран на царство в 1613"],
                    [[0, 0], [1, 1], [2, 2]],
                ),
                number("В каком году Земский собор избрал Михаила Романова?", 1613),
            ),
            poll(
                "Кто из героев Смуты вам интереснее?",
                "Минин и Пожарский",
                "Лжедмитрий I",
                "Василий Шуйский",
            ),
        ],
    },
    {
        "author": "biology",
        "svg": "plant_cell.svg",
        "title": "Строение растительной клетки",
        "summary": "Оболочка, цитоплазма, ядро, вакуоль и пластиды: из чего состоит клетка "
        "растения и чем она отличается от животной.",
        "subject": "Biology",
        "grades": [5, 6, 7],
        "tags": ["клетка", "ботаника"],
        "blocks": [
            text("""
## Клетка — единица живого

Все растения состоят из клеток. Впервые клетки увидел **Роберт Гук** в 1665 году, рассматривая
под микроскопом срез пробки.
"""),
            image(
                "Схема растительной клетки: клеточная стенка, мембрана, ядро, вакуоль, хлоропласты"
            ),
            text("""
## Части клетки

| часть | что делает |
|---|---|
| клеточная стенка | прочная оболочка из **целлюлозы**, придаёт форму |
| мембрана | пропускает в клетку одни вещества и не пускает другие |
| цитоплазма | вязкое содержимое, в нём идут процессы жизнедеятельности |
| ядро | хранит наследственную информацию |
| вакуоль | заполнена клеточным соком |
| хлоропласты | зелёные пластиды, в них идёт **фотосинтез** |
"""),
            text("""
## Отличия от животной клетки

У растительной клетки есть **клеточная стенка**, **пластиды** и крупная **центральная
вакуоль**; у животной клетки их нет.
"""),
            quiz(
                match(
                    "Соедините часть клетки и её функцию",
                    ["Ядро", "Хлоропласт", "Вакуоль"],
                    ["Фотосинтез", "Хранение наследственной информации", "Запас клеточного сока"],
                    [[0, 1], [1, 0], [2, 2]],
                ),
                multiple(
                    "Что есть у растительной клетки, но нет у животной?",
                    ["Клеточная стенка", "Ядро", "Хлоропласты", "Мембрана"],
                    [0, 2],
                ),
                typed(
                    "Из какого вещества состоит клеточная стенка растений?",
                    "целлюлоза",
                    "из целлюлозы",
                    "клетчатка",
                ),
            ),
            whiteboard(),
        ],
    },
    {
        "author": "geography",
        "svg": "climate.svg",
        "title": "Климатические пояса Земли",
        "summary": "Почему климат меняется от экватора к полюсам; основные и переходные пояса.",
        "subject": "Geography",
        "grades": [7],
        "tags": ["климат", "атмосфера"],
        "blocks": [
            text("""
## Почему у экватора жарко

Солнечные лучи падают на Землю под разным углом. У **экватора** они падают почти отвесно
и сильно нагревают поверхность, к **полюсам** — всё более наклонно, и тепла приходится меньше.
Поэтому климат закономерно меняется с широтой.
"""),
            image("Глобус с цветными полосами климатических поясов от экватора к полюсам"),
            text("""
## Основные и переходные пояса

- **основные** (весь год господствует одна воздушная масса): экваториальный, тропический,
  умеренный, арктический (антарктический);
- **переходные** (воздушные массы сменяются по сезонам): субэкваториальный, субтропический,
  субарктический (субантарктический).

Всего на Земле **13** климатических поясов: 7 основных и 6 переходных.
"""),
            text("""
## Климат России

Большая часть России лежит в **умеренном** поясе, север — в субарктическом и арктическом,
а черноморское побережье Кавказа — в субтропическом.
"""),
            quiz(
                order(
                    "Расположите пояса от экватора к Северному полюсу",
                    ["Умеренный", "Экваториальный", "Арктический", "Тропический"],
                    [1, 3, 0, 2],
                ),
                single(
                    "В каком поясе лежит большая часть России?",
                    ["Субтропическом", "Умеренном", "Арктическом"],
                    1,
                ),
                number("Сколько всего климатических поясов на Земле?", 13),
            ),
            poll(
                "В каком поясе вы хотели бы побывать?",
                "Экваториальном",
                "Тропическом",
                "Арктическом",
            ),
            whiteboard(over_picture=True),
        ],
    },
]

DRAFTS: list[dict[str, Any]] = [
    {
        "author": "teacher",
        "title": "Квадратные уравнения (черновик)",
        "summary": "Дискриминант и формула корней — готовлю к следующей четверти.",
        "subject": "Mathematics",
        "grades": [8],
        "tags": ["алгебра", "уравнения"],
        "blocks": [
            text("""
Уравнение вида $ax^2 + bx + c = 0$, где $a \\ne 0$, называется **квадратным**.

Дискриминант: $D = b^2 - 4ac$.
"""),
        ],
    },
]


def _with_picture(blocks: list[dict[str, Any]], sha256: str | None) -> list[dict[str, Any]]:
    filled = []
    for block in blocks:
        block = dict(block)
        for key in ("asset", "background"):
            if block.get(key) == PICTURE:
                block[key] = sha256
        filled.append(block)
    return filled


async def _exists(session: AsyncSession, *, author_id: int, title: str) -> bool:
    row = await session.exec(
        select(Lesson.id).where(Lesson.author_id == author_id, Lesson.title == title)
    )
    return row.first() is not None


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Create the demo library (idempotent): ten published lessons and a draft."""
    for spec, publish in [*((s, True) for s in LESSONS), *((s, False) for s in DRAFTS)]:
        author = people.staff[spec["author"]]
        if await _exists(session, author_id=author.id or 0, title=spec["title"]):
            continue
        sha256 = None
        if "svg" in spec:
            asset = await upload_store_bytes(
                session,
                actor=author,
                uploads_dir=settings.uploads_dir,
                content=(SEED_ASSETS / spec["svg"]).read_bytes(),
                filename=spec["svg"],
            )
            sha256 = asset.sha256
        fields = {k: v for k, v in spec.items() if k not in ("author", "svg")}
        data = LessonCreate.model_validate(
            {**fields, "blocks": _with_picture(spec["blocks"], sha256)}
        )
        lesson = await lesson_create(session, actor=author, data=data)
        if publish:
            await lesson_publish(session, actor=author, lesson_id=lesson.id or 0)
