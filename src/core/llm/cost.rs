//! What a model call costs: the built-in prices (`assets/pricing.toml`, embedded in the
//! binary), overridden key by key by the config's `[pricing."MODEL"]` tables, times the call's
//! token counts. Cached prompt tokens are billed at the cached rate and the rest of the prompt
//! at the input rate. A model priced nowhere costs 0 and is marked unpriced so the person can
//! be told. Pure; no IO.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::config::PriceConfig;

use super::{LlmError, Usage};

/// The built-in price list.
pub const BUILTIN_PRICES: &str = include_str!("../../../assets/pricing.toml");

/// Dollars per million tokens of each kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Prompt tokens not served from a cache.
    pub input: f64,
    /// Completion tokens.
    pub output: f64,
    /// Prompt tokens read from the provider's cache.
    pub cached: f64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write: f64,
}

/// What one call cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Dollars.
    pub usd: f64,
    /// False when the model has no price anywhere (the call was counted as $0).
    pub priced: bool,
}

impl Cost {
    /// Nothing, and known to be nothing (a local model).
    pub const FREE: Cost = Cost {
        usd: 0.0,
        priced: true,
    };
}

/// Prices by model name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceBook {
    prices: HashMap<String, Price>,
}

impl PriceBook {
    /// The built-in prices.
    pub fn builtin() -> Result<PriceBook, LlmError> {
        PriceBook::parse(BUILTIN_PRICES)
            .map_err(|e| LlmError::Config(format!("assets/pricing.toml: {e}")))
    }

    /// The built-in prices with the config's overrides applied.
    pub fn from_config(overrides: &BTreeMap<String, PriceConfig>) -> Result<PriceBook, LlmError> {
        let mut book = PriceBook::builtin()?;
        book.apply(overrides);
        Ok(book)
    }

    /// Parses a price list in the format of `assets/pricing.toml`.
    pub fn parse(text: &str) -> Result<PriceBook, toml::de::Error> {
        let raw: BTreeMap<String, RawPrice> = toml::from_str(text)?;
        let prices = raw
            .into_iter()
            .map(|(model, raw)| {
                let price = Price {
                    input: raw.input,
                    output: raw.output,
                    cached: raw.cached.unwrap_or(raw.input),
                    cache_write: raw.cache_write.unwrap_or(raw.input),
                };
                (model, price)
            })
            .collect();
        Ok(PriceBook { prices })
    }

    /// Applies overrides key by key: a model already priced keeps what the override leaves
    /// out; a new model's missing input or output is 0, and its cache rates default to its
    /// input rate.
    pub fn apply(&mut self, overrides: &BTreeMap<String, PriceConfig>) {
        for (model, over) in overrides {
            let price = match self.prices.get(model) {
                Some(old) => Price {
                    input: over.input.unwrap_or(old.input),
                    output: over.output.unwrap_or(old.output),
                    cached: over.cached.unwrap_or(old.cached),
                    cache_write: over.cache_write.unwrap_or(old.cache_write),
                },
                None => {
                    let input = over.input.unwrap_or(0.0);
                    Price {
                        input,
                        output: over.output.unwrap_or(0.0),
                        cached: over.cached.unwrap_or(input),
                        cache_write: over.cache_write.unwrap_or(input),
                    }
                }
            };
            self.prices.insert(model.clone(), price);
        }
    }

    /// The price of `model`: its own entry; else, without a `vendor/` prefix (OpenRouter's
    /// `openai/gpt-4o`); else the entry it is a dated or `-latest` version of
    /// (`gpt-4o-2024-08-06`, `claude-3-5-haiku-latest`).
    pub fn price(&self, model: &str) -> Option<Price> {
        let bare = model.rsplit('/').next().unwrap_or(model);
        [model, bare]
            .into_iter()
            .find_map(|name| self.prices.get(name).or_else(|| self.versioned(name)))
            .copied()
    }

    /// What a call to `model` that used `usage` cost.
    pub fn cost(&self, model: &str, usage: &Usage) -> Cost {
        match self.price(model) {
            Some(price) => Cost {
                usd: cost(&price, usage),
                priced: true,
            },
            None => Cost {
                usd: 0.0,
                priced: false,
            },
        }
    }

    /// The longest entry that `name` is a version of.
    fn versioned(&self, name: &str) -> Option<&Price> {
        self.prices
            .iter()
            .filter(|(base, _)| {
                name.strip_prefix(base.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(is_version_suffix)
            })
            .max_by_key(|(base, _)| base.len())
            .map(|(_, price)| price)
    }
}

/// Dollars for `usage` at `price`. Cached and cache-written prompt tokens are part of
/// `input_tokens`; they are billed at their own rates and the rest at the input rate.
pub fn cost(price: &Price, usage: &Usage) -> f64 {
    let uncached = usage
        .input_tokens
        .saturating_sub(usage.cached_tokens)
        .saturating_sub(usage.cache_write_tokens);
    let dollars = uncached as f64 * price.input
        + usage.cached_tokens as f64 * price.cached
        + usage.cache_write_tokens as f64 * price.cache_write
        + usage.output_tokens as f64 * price.output;
    dollars / 1_000_000.0
}

/// A date or build (`2024-08-06`, `20241022`) or `latest`.
fn is_version_suffix(rest: &str) -> bool {
    rest == "latest"
        || (!rest.is_empty()
            && rest.starts_with(|c: char| c.is_ascii_digit())
            && rest.chars().all(|c| c.is_ascii_digit() || c == '-'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    input: f64,
    output: f64,
    cached: Option<f64>,
    cache_write: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, cached: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cached_tokens: cached,
            cache_write_tokens: 0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_builtin_list_prices_the_common_models() {
        let book = PriceBook::builtin().unwrap();
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "o3-mini",
            "claude-3-5-sonnet",
            "claude-3-5-haiku",
            "claude-sonnet-4",
            "claude-opus-4",
        ] {
            let price = book.price(model).unwrap_or_else(|| panic!("{model}"));
            assert!(price.input > 0.0 && price.output > price.input, "{model}");
            assert!(price.cached <= price.input, "{model}");
        }
    }

    #[test]
    fn cached_tokens_are_billed_at_the_cached_rate() {
        let book = PriceBook::builtin().unwrap();
        // gpt-4o: $2.50 in, $10 out, $1.25 cached, per million.
        let c = book.cost("gpt-4o", &usage(1_000_000, 1_000_000, 0));
        assert!(c.priced && close(c.usd, 12.5), "{c:?}");
        let c = book.cost("gpt-4o", &usage(1_000_000, 0, 400_000));
        assert!(close(c.usd, 0.6 * 2.5 + 0.4 * 1.25), "{c:?}");
        let c = book.cost("gpt-4o-mini", &usage(1000, 500, 0));
        assert!(close(c.usd, (1000.0 * 0.15 + 500.0 * 0.60) / 1e6), "{c:?}");
        // Anthropic: writes at their own rate.
        let claude = Usage {
            input_tokens: 3_000_000,
            output_tokens: 0,
            cached_tokens: 1_000_000,
            cache_write_tokens: 1_000_000,
        };
        let c = book.cost("claude-sonnet-4", &claude);
        assert!(close(c.usd, 3.0 + 0.30 + 3.75), "{c:?}");
        // Counts that do not add up never go negative.
        let c = book.cost("gpt-4o", &usage(10, 0, 50));
        assert!(c.usd >= 0.0);
    }

    #[test]
    fn dated_latest_and_prefixed_names_find_their_model() {
        let book = PriceBook::builtin().unwrap();
        let price = |m: &str| book.price(m);
        assert_eq!(price("gpt-4o-2024-08-06"), price("gpt-4o"));
        assert_eq!(price("gpt-4o-mini-2024-07-18"), price("gpt-4o-mini"));
        assert_eq!(
            price("claude-3-5-sonnet-20241022"),
            price("claude-3-5-sonnet")
        );
        assert_eq!(price("claude-3-5-haiku-latest"), price("claude-3-5-haiku"));
        assert_eq!(price("claude-sonnet-4-20250514"), price("claude-sonnet-4"));
        assert_eq!(price("openai/gpt-4.1"), price("gpt-4.1"));
        assert_ne!(price("gpt-4.1-mini"), price("gpt-4.1"));
        assert_eq!(
            price("gpt-4o-audio-preview"),
            None,
            "not a version of gpt-4o"
        );
        assert_eq!(price("gpt-4"), None);
    }

    #[test]
    fn an_unknown_model_costs_nothing_and_says_so() {
        let book = PriceBook::builtin().unwrap();
        let c = book.cost("qwen2.5-coder-0.5b-instruct", &usage(5000, 5000, 0));
        assert_eq!(
            c,
            Cost {
                usd: 0.0,
                priced: false
            }
        );
    }

    #[test]
    fn config_overrides_key_by_key_and_adds_models() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "gpt-4o".to_string(),
            PriceConfig {
                output: Some(20.0),
                ..PriceConfig::default()
            },
        );
        overrides.insert(
            "my-finetune".to_string(),
            PriceConfig {
                input: Some(1.0),
                output: Some(2.0),
                ..PriceConfig::default()
            },
        );
        let book = PriceBook::from_config(&overrides).unwrap();
        let gpt = book.price("gpt-4o").unwrap();
        assert_eq!((gpt.input, gpt.output, gpt.cached), (2.5, 20.0, 1.25));
        assert_eq!(
            book.price("gpt-4o-2024-11-20").unwrap().output,
            20.0,
            "versions follow the override"
        );
        let mine = book.price("my-finetune").unwrap();
        assert_eq!((mine.input, mine.cached, mine.cache_write), (1.0, 1.0, 1.0));
        let c = book.cost("my-finetune", &usage(1_000_000, 1_000_000, 0));
        assert!(c.priced && close(c.usd, 3.0));
    }

    #[test]
    fn a_bad_price_list_is_an_error() {
        assert!(PriceBook::parse("[m]\ninput = 1\n").is_err(), "no output");
        assert!(PriceBook::parse("[m]\ninput = 1\noutput = 2\nextra = 3\n").is_err());
    }
}
