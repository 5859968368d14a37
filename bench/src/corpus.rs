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

mod words;

use words::{
    ACCENTED, BASE_FOODS, MODIFIERS, NOTES, STEP_TEMPLATES, TAG_COURSES, TAG_CUISINES, TAG_OTHER,
    TITLE_ADJECTIVES, TITLE_DISHES, TITLE_FLAVOURS, TITLE_MAINS, UNITS, VARIETY_FOODS,
    VARIETY_HEADS, VARIETY_TAILS,
};

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
