//! Filtering, sorting, counting, paging and projecting a list (api.md §5).

use std::cmp::Ordering;

use serde_json::{Map, Value as Json};

use super::eval::{Matcher, leaves};
use super::{ListParams, SortKey};

/// Filters `items` by `params.q`, sorts them by `params.sort`, counts all matches, takes the page
/// `offset..offset + count` and projects `params.fields`. Returns `{"count": total, "data": [...]}`.
///
/// `items` must already be in the resource's default order (newest first, ties by id); the sort
/// is stable, so that order breaks ties between equal sort keys.
///
/// Sort order per key: values of different JSON types order booleans < numbers < strings <
/// objects/arrays; numbers compare numerically, strings case-sensitively (by code point), `false`
/// before `true`. A path through an array sorts by its first non-null value. `null` and missing
/// values come last in `asc`; `desc` is the exact reverse of `asc` (so they come first, as
/// `DESC` does in PostgreSQL).
pub fn apply(items: Vec<Json>, params: &ListParams, main_fields: &[&str]) -> Json {
    let mut selected: Vec<Json> = match &params.q {
        Some(q) => {
            let matcher = Matcher::new(q, main_fields);
            items
                .into_iter()
                .filter(|item| matcher.matches(item))
                .collect()
        }
        None => items,
    };

    if !params.sort.is_empty() {
        sort(&mut selected, &params.sort);
    }

    let total = selected.len() as u64;
    let page: Vec<Json> = selected
        .into_iter()
        .skip(params.offset)
        .take(params.count)
        .collect();
    answer_page(page, total, params)
}

/// The answer for a page the store already filtered exactly, ordered and cut: `total` matches in
/// all, `items` the page; only `params.fields` remains to apply.
pub fn answer_page(items: Vec<Json>, total: u64, params: &ListParams) -> Json {
    let projection = params.fields.as_deref().map(Selection::from_fields);
    let data: Vec<Json> = items
        .into_iter()
        .map(|item| match &projection {
            Some(selection) => selection.project(&item),
            None => item,
        })
        .collect();
    let mut answer = Map::new();
    answer.insert("count".into(), Json::from(total));
    answer.insert("data".into(), Json::Array(data));
    Json::Object(answer)
}

fn sort(items: &mut Vec<Json>, keys: &[SortKey]) {
    let paths: Vec<Vec<&str>> = keys.iter().map(|k| k.path.split('.').collect()).collect();
    // Extract every key once, then sort the (keys, item) pairs stably.
    let mut keyed: Vec<(Vec<Option<Json>>, Json)> = items
        .drain(..)
        .map(|item| {
            let values = paths
                .iter()
                .map(|path| leaves(&item, path).first().map(|v| (*v).clone()))
                .collect();
            (values, item)
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        keys.iter()
            .zip(a.iter().zip(b.iter()))
            .map(|(key, (x, y))| {
                let ordering = compare_sort_values(x.as_ref(), y.as_ref());
                if key.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    items.extend(keyed.into_iter().map(|(_, item)| item));
}

/// Ascending order of two sort values; `None` (null or missing) last.
fn compare_sort_values(a: Option<&Json>, b: Option<&Json>) -> Ordering {
    fn rank(v: &Json) -> u8 {
        match v {
            Json::Bool(_) => 0,
            Json::Number(_) => 1,
            Json::String(_) => 2,
            _ => 3,
        }
    }
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => match (x, y) {
            (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
            (Json::String(x), Json::String(y)) => x.cmp(y),
            (Json::Number(x), Json::Number(y)) => {
                if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                    x.cmp(&y)
                } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                    x.cmp(&y)
                } else {
                    let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                    x.total_cmp(&y)
                }
            }
            _ => rank(x).cmp(&rank(y)),
        },
    }
}

/// A projection tree built from `fields`: `All` keeps a value whole, `Keys` keeps only some keys
/// of an object (of every object in an array), in the object's own key order.
#[derive(Debug, PartialEq)]
enum Selection {
    All,
    Keys(Vec<(String, Selection)>),
}

impl Selection {
    fn from_fields(fields: &[String]) -> Selection {
        let mut root = Selection::Keys(Vec::new());
        for always in ["object", "id"] {
            root.insert(&[always]);
        }
        for field in fields {
            let path: Vec<&str> = field.split('.').filter(|s| !s.is_empty()).collect();
            if !path.is_empty() {
                root.insert(&path);
            }
        }
        root
    }

    fn insert(&mut self, path: &[&str]) {
        let Selection::Keys(children) = self else {
            return; // already kept whole
        };
        let Some((first, rest)) = path.split_first() else {
            *self = Selection::All;
            return;
        };
        let index = match children.iter().position(|(k, _)| k == first) {
            Some(index) => index,
            None => {
                children.push((first.to_string(), Selection::Keys(Vec::new())));
                children.len() - 1
            }
        };
        children[index].1.insert(rest);
    }

    fn project(&self, value: &Json) -> Json {
        match (self, value) {
            (Selection::Keys(children), Json::Object(map)) => Json::Object(
                map.iter()
                    .filter_map(|(k, v)| {
                        children
                            .iter()
                            .find(|(name, _)| name == k)
                            .map(|(_, child)| (k.clone(), child.project(v)))
                    })
                    .collect(),
            ),
            (Selection::Keys(_), Json::Array(elements)) => {
                Json::Array(elements.iter().map(|e| self.project(e)).collect())
            }
            // Whole values, and scalars or null where sub-fields were asked for.
            _ => value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_params;
    use super::*;
    use serde_json::json;

    fn items() -> Vec<Json> {
        vec![
            json!({"object": "o", "id": "1", "n": 10, "s": "b", "card": {"cardnumber": "9", "id": "C1"}, "tags": [{"k": "x", "v": 1}]}),
            json!({"object": "o", "id": "2", "n": 2, "s": "B", "card": null}),
            json!({"object": "o", "id": "3", "s": "a", "card": {"cardnumber": "7", "id": "C3"}}),
            json!({"object": "o", "id": "4", "n": 10, "s": null}),
            json!({"object": "o", "id": "5", "n": -1.5, "s": "c"}),
        ]
    }

    fn run(raw: &str) -> Json {
        apply(items(), &parse_params(raw).unwrap(), &["id", "s"])
    }

    fn ids(answer: &Json) -> Vec<&str> {
        answer["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn without_parameters_everything_is_returned_in_the_given_order() {
        let answer = run("");
        assert_eq!(answer["count"], 5);
        assert_eq!(ids(&answer), ["1", "2", "3", "4", "5"]);
        assert_eq!(answer["data"][0], items()[0]);
    }

    #[test]
    fn the_answer_has_count_then_data() {
        let answer = run("count=1");
        let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["count", "data"]);
    }

    #[test]
    fn no_match_is_count_zero_and_an_empty_data_array() {
        assert_eq!(run("q=s:nothing"), json!({"count": 0, "data": []}));
        assert_eq!(
            apply(vec![], &ListParams::default(), &[]),
            json!({"count": 0, "data": []})
        );
    }

    #[test]
    fn count_is_the_total_of_matches_not_the_page() {
        let answer = run("q=s:b&count=1");
        assert_eq!(answer["count"], 2);
        assert_eq!(ids(&answer), ["1"]);
    }

    #[test]
    fn offset_and_count_select_a_page() {
        assert_eq!(ids(&run("offset=1&count=2")), ["2", "3"]);
        assert_eq!(ids(&run("offset=3&count=10")), ["4", "5"]);
    }

    #[test]
    fn an_offset_beyond_the_end_gives_empty_data_but_the_full_count() {
        assert_eq!(run("offset=5"), json!({"count": 5, "data": []}));
        assert_eq!(
            run("offset=18446744073709551615"),
            json!({"count": 5, "data": []})
        );
    }

    #[test]
    fn count_zero_gives_empty_data_but_the_full_count() {
        assert_eq!(run("count=0"), json!({"count": 5, "data": []}));
    }

    #[test]
    fn numbers_sort_numerically_with_missing_last_ascending() {
        assert_eq!(ids(&run("sort=n:asc")), ["5", "2", "1", "4", "3"]);
    }

    #[test]
    fn descending_is_the_reverse_order_with_missing_first_and_ties_kept_stable() {
        assert_eq!(ids(&run("sort=n:desc")), ["3", "1", "4", "2", "5"]);
    }

    #[test]
    fn strings_sort_case_sensitively() {
        assert_eq!(ids(&run("sort=s:asc")), ["2", "3", "1", "5", "4"]);
        assert_eq!(ids(&run("sort[s]=desc")), ["4", "5", "1", "3", "2"]);
    }

    #[test]
    fn later_sort_keys_break_ties_of_earlier_ones() {
        assert_eq!(ids(&run("sort=n:desc,id:desc")), ["3", "4", "1", "2", "5"]);
        assert_eq!(
            ids(&run("sort[n]=desc&sort[id]=desc")),
            ["3", "4", "1", "2", "5"]
        );
    }

    #[test]
    fn sorting_by_a_nested_field_works() {
        assert_eq!(
            ids(&run("sort=card.cardnumber:asc")),
            ["3", "1", "2", "4", "5"]
        );
    }

    #[test]
    fn mixed_types_sort_booleans_numbers_strings_then_objects() {
        let list = vec![
            json!({"id": "s", "v": "x"}),
            json!({"id": "o", "v": {"a": 1}}),
            json!({"id": "n", "v": 3}),
            json!({"id": "b", "v": true}),
            json!({"id": "f", "v": false}),
            json!({"id": "u", "v": 18446744073709551615u64}),
            json!({"id": "i", "v": -3}),
        ];
        let params = parse_params("sort=v").unwrap();
        assert_eq!(
            ids(&apply(list, &params, &[])),
            ["f", "b", "i", "n", "u", "s", "o"]
        );
    }

    #[test]
    fn fields_keep_object_and_id_and_nest_dotted_paths() {
        let answer = run("fields=card.cardnumber&count=3");
        assert_eq!(
            answer["data"],
            json!([
                {"object": "o", "id": "1", "card": {"cardnumber": "9"}},
                {"object": "o", "id": "2", "card": null},
                {"object": "o", "id": "3", "card": {"cardnumber": "7"}},
            ])
        );
    }

    #[test]
    fn fields_follow_the_objects_own_key_order_and_a_whole_field_wins() {
        let answer = run("fields=n,card.cardnumber,card,missing&count=1");
        assert_eq!(
            serde_json::to_string(&answer["data"][0]).unwrap(),
            r#"{"object":"o","id":"1","n":10,"card":{"cardnumber":"9","id":"C1"}}"#
        );
    }

    #[test]
    fn fields_through_arrays_project_every_element() {
        let answer = run("fields=tags.k&count=1");
        assert_eq!(
            answer["data"][0],
            json!({"object": "o", "id": "1", "tags": [{"k": "x"}]})
        );
    }

    #[test]
    fn filtering_sorting_paging_and_projection_combine() {
        let answer = run("q=NOT+s:c&sort=n:asc&offset=1&count=2&fields=n");
        assert_eq!(
            answer,
            json!({"count": 4, "data": [
                {"object": "o", "id": "1", "n": 10},
                {"object": "o", "id": "4", "n": 10},
            ]})
        );
    }

    #[test]
    fn bare_terms_use_the_given_main_fields() {
        assert_eq!(ids(&run("q=3")), ["3"]);
        assert_eq!(ids(&run("q=c")), ["5"]);
        assert_eq!(run("q=10")["count"], 0);
    }
}
