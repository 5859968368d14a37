// A recipe's editable fields as the draft the API takes back (field copying, no domain rules).
import type { Recipe, RecipeDraft } from "../client";

export function draftOf(recipe: Recipe): RecipeDraft {
  return {
    title: recipe.title,
    description: recipe.description,
    servings: recipe.servings,
    yield_text: recipe.yield_text,
    prep_minutes: recipe.prep_minutes,
    cook_minutes: recipe.cook_minutes,
    total_minutes: recipe.total_minutes,
    tags: recipe.tags,
    source_url: recipe.source_url,
    ingredients: recipe.ingredients.map((row) => ({
      id: row.id,
      quantity: row.quantity,
      quantity_max: row.quantity_max,
      unit: row.unit,
      name: row.name,
      note: row.note,
    })),
    steps: recipe.steps,
    notes: recipe.notes,
  };
}

export const emptyDraft = (): RecipeDraft => ({
  title: "",
  description: "",
  servings: null,
  yield_text: "",
  prep_minutes: null,
  cook_minutes: null,
  total_minutes: null,
  tags: [],
  source_url: "",
  ingredients: [],
  steps: [],
  notes: "",
});
