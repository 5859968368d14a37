//! How the CLI prints things: `--json` for scripts, aligned text for people.

use anyhow::Result;
use larder_core::ingredient::format_line;
use larder_core::model::{GroceryItem, Recipe};
use larder_core::{RecipeSummary, TagCount};

fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn summaries(hits: &[RecipeSummary], json: bool) -> Result<()> {
    if json {
        return print_json(hits);
    }
    for hit in hits {
        let tags = if hit.tags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", hit.tags.join(", "))
        };
        println!("{}  {}{}", hit.id, hit.title, tags);
    }
    Ok(())
}

pub fn recipe(recipe: &Recipe, json: bool) -> Result<()> {
    if json {
        return print_json(recipe);
    }
    println!("{}", recipe.title);
    println!("id: {}", recipe.id);
    if !recipe.description.is_empty() {
        println!("\n{}", recipe.description);
    }
    let mut facts = Vec::new();
    if let Some(s) = recipe.servings {
        facts.push(format!("serves {s}"));
    }
    if !recipe.yield_text.is_empty() {
        facts.push(format!("makes {}", recipe.yield_text));
    }
    for (label, minutes) in [
        ("prep", recipe.prep_minutes),
        ("cook", recipe.cook_minutes),
        ("total", recipe.total_minutes),
    ] {
        if let Some(m) = minutes {
            facts.push(format!("{label} {m} min"));
        }
    }
    if !facts.is_empty() {
        println!("{}", facts.join(" · "));
    }
    if !recipe.tags.is_empty() {
        println!("tags: {}", recipe.tags.join(", "));
    }
    if !recipe.source_url.is_empty() {
        println!("source: {}", recipe.source_url);
    }
    if !recipe.ingredients.is_empty() {
        println!("\nIngredients");
        for row in &recipe.ingredients {
            println!(
                "  - {}",
                format_line(
                    row.quantity,
                    row.quantity_max,
                    &row.unit,
                    &row.name,
                    &row.note
                )
            );
        }
    }
    if !recipe.steps.is_empty() {
        println!("\nSteps");
        for (i, step) in recipe.steps.iter().enumerate() {
            println!("  {}. {step}", i + 1);
        }
    }
    if !recipe.notes.is_empty() {
        println!("\nNotes\n{}", recipe.notes);
    }
    if !recipe.attachments.is_empty() {
        println!("\nAttachments");
        for a in &recipe.attachments {
            println!("  {} ({}, {} bytes)", a.file_name, a.media_type, a.size);
        }
    }
    Ok(())
}

pub fn tags(tags: &[TagCount], json: bool) -> Result<()> {
    if json {
        return print_json(tags);
    }
    for t in tags {
        println!("{}\t{}", t.count, t.tag);
    }
    Ok(())
}

pub fn grocery(items: &[GroceryItem], json: bool) -> Result<()> {
    if json {
        return print_json(items);
    }
    for item in items {
        let line = format_line(item.quantity, None, &item.unit, &item.name, "");
        let mark = if item.checked { "x" } else { " " };
        println!("[{mark}] {}  {line}", item.id);
    }
    Ok(())
}
