//! The benchmark corpus: a seeded, deterministic generator of realistic recipe drafts ("Smoky
//! Chipotle Black Bean Chili", 5–15 ingredient lines, 3–8 steps, tags, notes) over an ingredient
//! vocabulary of well over 2,000 distinct words (base foods, preparations, and cultivar names
//! built combinatorially, plus accented words such as crème, jalapeño, purée and gruyère).
//! Word frequencies are Zipf-like, as in real recipe collections: salt and garlic are everywhere,
//! most cultivar names are rare.

use std::collections::BTreeSet;

use larder_core::model::{IngredientInput, RecipeDraft};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Everyday ingredients, roughly most common first (the Zipf sampler favours the front).
const BASE_FOODS: &[&str] = &[
    "salt",
    "garlic",
    "onion",
    "olive oil",
    "butter",
    "black pepper",
    "sugar",
    "flour",
    "eggs",
    "water",
    "lemon",
    "milk",
    "tomatoes",
    "chicken",
    "carrots",
    "cream",
    "parsley",
    "cumin",
    "paprika",
    "honey",
    "rice",
    "potatoes",
    "ginger",
    "cilantro",
    "basil",
    "thyme",
    "vinegar",
    "soy sauce",
    "celery",
    "beans",
    "lime",
    "cheese",
    "mushrooms",
    "spinach",
    "chili",
    "oregano",
    "cinnamon",
    "shallots",
    "scallions",
    "bell pepper",
    "zucchini",
    "broccoli",
    "cabbage",
    "kale",
    "chickpeas",
    "lentils",
    "pasta",
    "noodles",
    "bread",
    "yogurt",
    "stock",
    "broth",
    "beef",
    "pork",
    "lamb",
    "bacon",
    "sausage",
    "salmon",
    "shrimp",
    "cod",
    "tuna",
    "tofu",
    "tempeh",
    "coconut milk",
    "peanuts",
    "almonds",
    "walnuts",
    "pecans",
    "cashews",
    "pistachios",
    "oats",
    "quinoa",
    "barley",
    "farro",
    "polenta",
    "cornmeal",
    "corn",
    "peas",
    "avocado",
    "cucumber",
    "radishes",
    "beets",
    "turnips",
    "parsnips",
    "leeks",
    "fennel",
    "artichokes",
    "asparagus",
    "eggplant",
    "cauliflower",
    "squash",
    "pumpkin",
    "sweet potatoes",
    "apples",
    "pears",
    "peaches",
    "plums",
    "cherries",
    "strawberries",
    "blueberries",
    "raspberries",
    "blackberries",
    "cranberries",
    "raisins",
    "dates",
    "figs",
    "apricots",
    "mango",
    "pineapple",
    "bananas",
    "oranges",
    "grapefruit",
    "pomegranate",
    "coconut",
    "chocolate",
    "cocoa",
    "vanilla",
    "mustard",
    "mayonnaise",
    "ketchup",
    "miso",
    "tahini",
    "harissa",
    "chipotle",
    "sriracha",
    "capers",
    "olives",
    "anchovies",
    "sardines",
    "mussels",
    "clams",
    "scallops",
    "crab",
    "lobster",
    "duck",
    "turkey",
    "veal",
    "venison",
    "chorizo",
    "pancetta",
    "prosciutto",
    "ham",
    "feta",
    "parmesan",
    "mozzarella",
    "ricotta",
    "cheddar",
    "mascarpone",
    "halloumi",
    "paneer",
    "brie",
    "gouda",
    "nutmeg",
    "cloves",
    "cardamom",
    "turmeric",
    "coriander",
    "saffron",
    "allspice",
    "sage",
    "rosemary",
    "dill",
    "mint",
    "tarragon",
    "chives",
    "bay leaves",
    "lemongrass",
    "galangal",
    "molasses",
    "maple syrup",
    "buttermilk",
    "gelatin",
    "yeast",
    "baking soda",
    "baking powder",
    "cornstarch",
    "breadcrumbs",
    "panko",
    "tortillas",
    "pita",
    "couscous",
    "bulgur",
    "semolina",
    "rye",
    "spelt",
    "buckwheat",
    "millet",
    "sorghum",
    "teff",
    "amaranth",
    "watercress",
    "arugula",
    "endive",
    "radicchio",
    "chard",
    "collards",
    "bok choy",
    "okra",
    "jicama",
    "kohlrabi",
    "rutabaga",
    "celeriac",
    "sunchokes",
    "tomatillos",
    "plantains",
    "cassava",
    "taro",
    "edamame",
    "seitan",
    "walnut oil",
    "sesame",
    "sunflower seeds",
    "pumpkin seeds",
    "flaxseed",
    "hazelnuts",
    "macadamias",
    "kimchi",
    "sauerkraut",
    "gochujang",
    "fish sauce",
    "oyster sauce",
    "hoisin",
    "mirin",
    "sake",
    "wine",
    "beer",
    "brandy",
    "rum",
    "bourbon",
    "espresso",
    "matcha",
    "marmalade",
    "jam",
    "preserves",
    "chutney",
    "relish",
    "salsa",
    "pesto",
    "aioli",
    "ghee",
    "lard",
    "suet",
    "marrow",
    "oxtail",
    "brisket",
    "tenderloin",
    "sirloin",
    "ribeye",
    "meatballs",
    "gnocchi",
    "ravioli",
    "tortellini",
    "orzo",
    "linguine",
    "spaghetti",
    "fettuccine",
    "rigatoni",
    "penne",
    "farfalle",
    "lasagna",
    "udon",
    "soba",
    "ramen",
    "vermicelli",
    "wontons",
    "dumplings",
    "phyllo",
    "puff pastry",
    "shortcrust",
    "brioche",
    "baguette",
    "ciabatta",
    "sourdough",
    "focaccia",
    "croutons",
    "crackers",
    "pretzels",
    "marshmallows",
    "caramel",
    "toffee",
    "fudge",
    "meringue",
    "custard",
    "ganache",
    "frosting",
    "sprinkles",
    "cherimoya",
    "guava",
    "papaya",
    "lychee",
    "rambutan",
    "durian",
    "kumquats",
    "persimmons",
    "quince",
    "rhubarb",
    "gooseberries",
    "currants",
    "elderberries",
    "huckleberries",
    "mulberries",
    "loganberries",
    "boysenberries",
    "nectarines",
    "clementines",
    "tangerines",
    "yuzu",
    "kaffir",
    "sumac",
    "zaatar",
    "berbere",
    "garam masala",
    "fenugreek",
    "asafoetida",
    "nigella",
    "ajwain",
    "annatto",
    "epazote",
    "hyssop",
    "lovage",
    "sorrel",
    "borage",
    "purslane",
    "chervil",
    "marjoram",
    "savory",
    "juniper",
    "anise",
    "caraway",
    "celery seed",
    "poppy seeds",
    "wasabi",
    "horseradish",
    "nori",
    "kombu",
    "wakame",
    "dashi",
    "bonito",
    "katsuobushi",
    "furikake",
    "shiitake",
    "chanterelles",
    "morels",
    "porcini",
    "enoki",
    "oyster mushrooms",
    "truffle",
    "cremini",
    "portobello",
    "halibut",
    "trout",
    "mackerel",
    "snapper",
    "tilapia",
    "haddock",
    "pollock",
    "catfish",
    "swordfish",
    "monkfish",
    "squid",
    "octopus",
    "prawns",
    "crawfish",
    "oysters",
    "quail",
    "pheasant",
    "goose",
    "rabbit",
    "bison",
    "goat",
    "mutton",
    "pastrami",
    "salami",
    "mortadella",
    "guanciale",
    "lardons",
    "speck",
    "bresaola",
    "jamón",
    "kielbasa",
    "bratwurst",
];

/// Accented words: the accent-folded query shape looks for their plain spellings.
const ACCENTED: &[&str] = &[
    "crème fraîche",
    "jalapeño",
    "purée",
    "gruyère",
    "crêpes",
    "rösti",
    "açaí",
    "piñon",
    "pâté",
    "consommé",
    "crème",
    "emmentaler",
    "comté",
    "chèvre",
    "brûlée",
    "pâte brisée",
    "mâche",
    "habanero",
    "poblano",
    "serrano",
    "güero",
    "ñora",
    "glacé",
    "flambé",
    "sautéed",
];

/// How an ingredient is prepared or described.
const MODIFIERS: &[&str] = &[
    "chopped",
    "diced",
    "minced",
    "sliced",
    "grated",
    "shredded",
    "crushed",
    "ground",
    "fresh",
    "dried",
    "frozen",
    "canned",
    "smoked",
    "roasted",
    "toasted",
    "blanched",
    "peeled",
    "seeded",
    "halved",
    "quartered",
    "cubed",
    "julienned",
    "zested",
    "juiced",
    "melted",
    "softened",
    "chilled",
    "warm",
    "cold",
    "large",
    "small",
    "medium",
    "ripe",
    "organic",
    "unsalted",
    "salted",
    "sweetened",
    "unsweetened",
    "low-sodium",
    "whole",
    "skinless",
    "boneless",
    "thick-cut",
    "thin",
    "finely",
    "coarsely",
    "roughly",
    "lightly",
    "packed",
    "heaping",
    "baby",
    "young",
    "aged",
    "wild",
    "pickled",
    "candied",
    "caramelized",
    "charred",
    "braised",
    "poached",
    "marinated",
    "cured",
    "fermented",
    "sprouted",
    "stone-ground",
    "extra-virgin",
    "cold-pressed",
    "pasture-raised",
    "free-range",
    "heirloom",
    "golden",
    "purple",
    "white",
    "black",
    "red",
    "green",
    "yellow",
    "spicy",
    "mild",
    "hot",
    "sweet",
    "tart",
    "bitter",
    "hearty",
    "silken",
    "firm",
    "crumbled",
    "flaked",
    "torn",
    "mashed",
];

/// Cultivar and variety names are built as compounds ("Sunglow", "Honeycrisp", "Goldmere"),
/// the way apple, tomato and potato varieties are named.
const VARIETY_HEADS: &[&str] = &[
    "honey", "sun", "gold", "snow", "star", "moon", "rose", "amber", "silver", "winter", "summer",
    "early", "ruby", "copper", "crimson", "velvet", "maple", "cedar", "willow", "autumn", "spring",
    "frost", "dawn", "dusk", "iron", "bright", "royal", "pearl", "jade", "coral", "ember", "storm",
    "river", "meadow", "hill", "stone", "ivory", "saffron", "indigo", "scarlet", "opal", "thistle",
    "clover", "fern", "heather",
];
const VARIETY_TAILS: &[&str] = &[
    "crisp", "glow", "heart", "bell", "ridge", "field", "dale", "brook", "gem", "blush", "fire",
    "wood", "vale", "top", "mere", "wick", "ford", "bloom", "light", "star", "king", "queen",
    "jewel", "drop", "burst", "spire", "crest", "hollow", "grove", "marsh", "haven", "shire",
    "bright", "down", "gold", "wing", "leaf", "root", "seed", "sweet", "rose", "flame",
];
/// Foods that come in named varieties.
const VARIETY_FOODS: &[&str] = &[
    "tomatoes", "apples", "potatoes", "pears", "peppers", "squash", "beans", "plums", "grapes",
    "lettuce", "onions", "carrots", "melon", "cherries", "peaches", "garlic", "corn", "kale",
    "figs", "berries",
];

const TITLE_ADJECTIVES: &[&str] = &[
    "Smoky",
    "Crispy",
    "Creamy",
    "Spicy",
    "Easy",
    "Weeknight",
    "Grandma's",
    "Rustic",
    "Classic",
    "Quick",
    "Slow-Cooked",
    "Roasted",
    "Grilled",
    "Braised",
    "Hearty",
    "Summer",
    "Winter",
    "Sticky",
    "Zesty",
    "Golden",
    "Tangy",
    "Herby",
    "Cheesy",
    "Silky",
    "Sheet-Pan",
    "One-Pot",
    "Charred",
    "Fiery",
    "Mellow",
    "Sunday",
];
const TITLE_FLAVOURS: &[&str] = &[
    "Chipotle",
    "Lemon Garlic",
    "Honey Mustard",
    "Miso",
    "Gruyère",
    "Jalapeño",
    "Coconut",
    "Harissa",
    "Sesame",
    "Ginger",
    "Maple",
    "Brown Butter",
    "Smoked Paprika",
    "Pesto",
    "Sriracha",
    "Tahini",
    "Saffron",
    "Crème Fraîche",
    "Balsamic",
    "Bourbon",
    "Cajun",
    "Curry",
    "Teriyaki",
    "Gochujang",
    "Chimichurri",
    "Za'atar",
    "Garlic Herb",
    "Chili Lime",
    "Orange",
    "Rosemary",
    "Sage",
    "Dill",
    "Mint",
    "Tamarind",
    "Poblano",
];
const TITLE_MAINS: &[&str] = &[
    "Black Bean",
    "Chicken",
    "Salmon",
    "Shrimp",
    "Pork",
    "Beef",
    "Lamb",
    "Tofu",
    "Mushroom",
    "Lentil",
    "Chickpea",
    "Sweet Potato",
    "Cauliflower",
    "Eggplant",
    "Zucchini",
    "Pumpkin",
    "Tomato",
    "Spinach",
    "Kale",
    "Corn",
    "Cod",
    "Turkey",
    "Duck",
    "Halloumi",
    "Paneer",
    "Potato",
    "Carrot",
    "Beet",
    "Apple",
    "Pear",
    "Peach",
    "Cherry",
    "Strawberry",
    "Blueberry",
    "Chocolate",
    "Vanilla",
    "Banana",
    "Mango",
    "Coconut",
    "Rice",
    "Noodle",
    "Egg",
    "Leek",
    "Fennel",
    "Asparagus",
    "Broccoli",
    "Cabbage",
    "Squash",
    "Walnut",
    "Almond",
];
const TITLE_DISHES: &[&str] = &[
    "Chili",
    "Soup",
    "Stew",
    "Salad",
    "Tacos",
    "Curry",
    "Casserole",
    "Pasta",
    "Risotto",
    "Bake",
    "Tart",
    "Pie",
    "Stir-Fry",
    "Skewers",
    "Burgers",
    "Bowl",
    "Gratin",
    "Frittata",
    "Quiche",
    "Crumble",
    "Cake",
    "Muffins",
    "Pancakes",
    "Brûlée",
    "Purée",
    "Sauté",
    "Fritters",
    "Dumplings",
    "Wraps",
    "Enchiladas",
    "Lasagna",
    "Flatbread",
    "Sandwiches",
    "Chowder",
    "Bisque",
    "Galette",
    "Cobbler",
    "Traybake",
    "Hash",
    "Noodles",
];

const TAG_CUISINES: &[&str] = &[
    "Italian",
    "Mexican",
    "Thai",
    "Indian",
    "French",
    "Japanese",
    "Chinese",
    "Korean",
    "Greek",
    "Moroccan",
    "Lebanese",
    "Spanish",
    "American",
    "Vietnamese",
    "Ethiopian",
    "Peruvian",
    "Turkish",
    "British",
    "German",
    "Caribbean",
];
const TAG_COURSES: &[&str] = &[
    "Dinner",
    "Lunch",
    "Breakfast",
    "Dessert",
    "Snack",
    "Side",
    "Starter",
    "Brunch",
    "Baking",
    "Drinks",
];
const TAG_OTHER: &[&str] = &[
    "Vegetarian",
    "Vegan",
    "Gluten-Free",
    "Dairy-Free",
    "Quick",
    "Make-Ahead",
    "Freezer",
    "Holiday",
    "Kid-Friendly",
    "Budget",
    "Party",
    "Picnic",
    "Comfort",
    "Healthy",
    "Spicy",
];

const UNITS: &[&str] = &[
    "g", "kg", "ml", "l", "cup", "cups", "tbsp", "tsp", "oz", "lb", "pinch", "cloves", "cans",
    "bunch", "",
];

const STEP_TEMPLATES: &[&str] = &[
    "Heat the {a} in a large pan over medium heat.",
    "Add the {a} and {b} and sauté until soft, about {n} minutes.",
    "Season with {a}, stir well and taste for seasoning.",
    "Whisk the {a} with the {b} in a bowl until smooth.",
    "Preheat the oven to {t} degrees and line a tray with parchment.",
    "Roast the {a} for {n} minutes, turning once, until golden at the edges.",
    "Simmer gently with the {a} for {n} minutes, stirring now and then.",
    "Fold in the {a} and the {b}; do not overmix.",
    "Bring a pot of salted water to the boil and cook the {a} until tender.",
    "Blend the {a} to a smooth purée, adding a splash of {b} if needed.",
    "Transfer to a serving dish and scatter over the {a}.",
    "Rest for {n} minutes before slicing and serving with {a}.",
    "Toast the {a} in a dry skillet until fragrant.",
    "Marinate the {a} with the {b} for at least {n} minutes.",
    "Flambé with a splash of {a}, then reduce until glossy.",
];

const NOTES: &[&str] = &[
    "Keeps for three days in the fridge.",
    "Freezes well for up to a month; thaw overnight.",
    "Swap the {a} for {b} if you cannot find it.",
    "Double the batch for a crowd.",
    "Best made a day ahead so the flavours settle.",
    "Use a heavy pan so nothing catches on the bottom.",
    "Très bon with a glass of something cold.",
    "",
    "",
    "",
];

/// The corpus: every word list expanded, and the sampler.
pub struct Corpus {
    /// Ingredient names, Zipf-ordered (common first).
    names: Vec<String>,
    /// Distinct words that occur in ingredient names (lower-cased, split as the index does).
    words: BTreeSet<String>,
}

/// Splits text into the words FTS5's unicode61 tokenizer indexes (runs of letters and digits).
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl Default for Corpus {
    fn default() -> Self {
        Corpus::new()
    }
}

impl Corpus {
    pub fn new() -> Self {
        let mut names: Vec<String> = Vec::new();
        names.extend(BASE_FOODS.iter().map(|s| s.to_string()));
        names.extend(ACCENTED.iter().map(|s| s.to_string()));
        // Cultivar names: every head × tail compound, paired with the foods that carry names.
        let mut variety = 0usize;
        for head in VARIETY_HEADS {
            for tail in VARIETY_TAILS {
                if head == tail {
                    continue;
                }
                let mut name = String::new();
                let mut chars = head.chars();
                if let Some(first) = chars.next() {
                    name.extend(first.to_uppercase());
                    name.push_str(chars.as_str());
                }
                name.push_str(tail);
                let food = VARIETY_FOODS[variety % VARIETY_FOODS.len()];
                variety += 1;
                names.push(format!("{name} {food}"));
            }
        }
        let mut words = BTreeSet::new();
        for name in &names {
            words.extend(words_of(name));
        }
        for m in MODIFIERS {
            words.extend(words_of(m));
        }
        Corpus { names, words }
    }

    /// Distinct words an ingredient line's name can contain.
    pub fn ingredient_vocabulary(&self) -> &BTreeSet<String> {
        &self.words
    }

    /// A Zipf-like index into a list of `n` (rank r drawn with weight ~1/(r+1)).
    fn zipf(rng: &mut StdRng, n: usize) -> usize {
        // Inverse-CDF of the continuous 1/x density over [1, n+1).
        let u: f64 = rng.random();
        let x = ((n as f64 + 1.0).ln() * u).exp() - 1.0;
        (x as usize).min(n - 1)
    }

    fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
        list[rng.random_range(0..list.len())]
    }

    /// An ingredient name, common ones far more often than rare ones.
    pub fn ingredient_name(&self, rng: &mut StdRng) -> &str {
        &self.names[Self::zipf(rng, self.names.len())]
    }

    /// A seeded stream of drafts: the same seed gives the same corpus.
    pub fn drafts(&self, seed: u64, count: usize) -> Vec<RecipeDraft> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..count).map(|_| self.draft(&mut rng)).collect()
    }

    pub fn draft(&self, rng: &mut StdRng) -> RecipeDraft {
        let mut title = Vec::new();
        if rng.random_bool(0.6) {
            title.push(Self::pick(rng, TITLE_ADJECTIVES).to_string());
        }
        if rng.random_bool(0.7) {
            title.push(Self::pick(rng, TITLE_FLAVOURS).to_string());
        }
        title.push(TITLE_MAINS[Self::zipf(rng, TITLE_MAINS.len())].to_string());
        title.push(Self::pick(rng, TITLE_DISHES).to_string());
        let title = title.join(" ");

        let count = rng.random_range(5..=15);
        let mut ingredients = Vec::with_capacity(count);
        let mut names: Vec<String> = Vec::with_capacity(count);
        while ingredients.len() < count {
            let base = self.ingredient_name(rng).to_string();
            if names.contains(&base) {
                continue;
            }
            let name = if rng.random_bool(0.45) {
                format!("{} {base}", MODIFIERS[Self::zipf(rng, MODIFIERS.len())])
            } else {
                base.clone()
            };
            let unit = Self::pick(rng, UNITS).to_string();
            let quantity = match rng.random_range(0..10) {
                0 => None,
                1..=3 => Some(rng.random_range(1..=4) as f64 * 0.25),
                _ => Some(rng.random_range(1..=500) as f64),
            };
            let note = if rng.random_bool(0.15) {
                Self::pick(
                    rng,
                    &[
                        "to taste",
                        "optional",
                        "divided",
                        "plus extra",
                        "for serving",
                    ],
                )
                .to_string()
            } else {
                String::new()
            };
            names.push(base);
            ingredients.push(IngredientInput {
                id: None,
                quantity: if unit.is_empty() && quantity.is_none() {
                    None
                } else {
                    quantity
                },
                quantity_max: None,
                unit,
                name,
                note,
            });
        }

        let fill = |template: &str, rng: &mut StdRng| -> String {
            let a = &names[rng.random_range(0..names.len())];
            let b = &names[rng.random_range(0..names.len())];
            template
                .replace("{a}", a)
                .replace("{b}", b)
                .replace("{n}", &rng.random_range(2..=45).to_string())
                .replace("{t}", &(rng.random_range(16..=23) * 10).to_string())
        };
        let step_count = rng.random_range(3..=8);
        let steps: Vec<String> = (0..step_count)
            .map(|_| {
                let template = Self::pick(rng, STEP_TEMPLATES);
                fill(template, rng)
            })
            .collect();
        let notes_template = Self::pick(rng, NOTES);
        let notes = fill(notes_template, rng);

        let mut tags = vec![Self::pick(rng, TAG_CUISINES).to_string()];
        tags.push(Self::pick(rng, TAG_COURSES).to_string());
        for _ in 0..rng.random_range(0..=2) {
            let tag = Self::pick(rng, TAG_OTHER).to_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let prep = rng.random_range(1..=12) * 5;
        let cook = rng.random_range(0..=24) * 5;
        RecipeDraft {
            description: format!(
                "A {} {} with {} and {}.",
                title.to_lowercase(),
                Self::pick(
                    rng,
                    &[
                        "for busy nights",
                        "to share",
                        "worth the wait",
                        "in one pan"
                    ]
                ),
                names[0],
                names[names.len() - 1]
            ),
            title,
            servings: Some(rng.random_range(1..=8)),
            yield_text: String::new(),
            prep_minutes: Some(prep),
            cook_minutes: Some(cook),
            total_minutes: None,
            tags,
            source_url: String::new(),
            ingredients,
            steps,
            notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_large_and_the_corpus_deterministic() {
        let corpus = Corpus::new();
        assert!(corpus.ingredient_vocabulary().len() >= 2_000);
        assert!(corpus.ingredient_vocabulary().contains("jalapeño"));
        let a = corpus.drafts(7, 50);
        let b = corpus.drafts(7, 50);
        assert_eq!(a, b);
        for d in &a {
            assert!((5..=15).contains(&d.ingredients.len()));
            assert!((3..=8).contains(&d.steps.len()));
            assert!(larder_core::model::validate_draft(d).is_ok(), "{d:?}");
        }
    }
}
