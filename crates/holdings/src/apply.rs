//! The rules: how each holdings event changes the state, and when it is an
//! anomaly instead (see the table in the crate documentation).

use docket_model::{
    Acquisition, Anomaly, Body, Divestment, Effective, EntityRegistered, EntityRenamed, Event, Slug,
};

use crate::{Entity, Holdings, NameSpell, ParentCause, ParentSpell};

/// `"a"`, `"a" and "b"`, `"a", "b" and "c"`: slugs quoted for a message.
fn quoted_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Holdings {
    /// Applies one event; see [`crate::Projection::apply`].
    pub(crate) fn apply_event(&mut self, seq: u64, event: &Event) {
        let is_holdings = matches!(
            event.body,
            Body::EntityRegistered(_)
                | Body::EntityRenamed(_)
                | Body::Acquisition(_)
                | Body::Divestment(_)
        );
        if !is_holdings {
            return;
        }
        let effective = event.effective;
        if let Some(latest) = self.latest
            && effective.instant_micros() < latest.instant_micros()
        {
            let ids: Vec<String> = event
                .entities()
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect();
            let reason = format!(
                "event about {} is effective {effective}, before {latest}, the latest \
                 holdings event already applied: events must come in (effective, seq) order",
                quoted_list(&ids)
            );
            self.anomalies.push(Anomaly::new(seq, event, reason));
            return;
        }
        self.latest = Some(effective);
        let problem = match &event.body {
            Body::EntityRegistered(b) => self.register(seq, effective, b),
            Body::EntityRenamed(b) => self.rename(seq, effective, b),
            Body::Acquisition(b) => self.acquire(seq, effective, b),
            Body::Divestment(b) => self.divest(seq, effective, b),
            _ => None,
        };
        if let Some(reason) = problem {
            self.anomalies.push(Anomaly::new(seq, event, reason));
        }
    }

    /// A message naming every role whose slug is not registered, if any.
    fn unregistered(&self, roles: &[(&str, Option<&Slug>)]) -> Option<String> {
        let missing: Vec<String> = roles
            .iter()
            .filter_map(|(role, slug)| {
                let slug = (*slug)?;
                (!self.entities.contains_key(slug)).then(|| format!("{role} \"{slug}\""))
            })
            .collect();
        match missing.len() {
            0 => None,
            1 => Some(format!("{} is not registered", quoted_list(&missing))),
            _ => Some(format!("{} are not registered", quoted_list(&missing))),
        }
    }

    /// Points `id`'s parent to `parent` from `from` on.
    fn set_parent(
        &mut self,
        id: &Slug,
        from: Effective,
        parent: Option<Slug>,
        seq: u64,
        cause: ParentCause,
    ) {
        if let Some(entity) = self.entities.get_mut(id) {
            entity.parents.push(ParentSpell {
                from,
                parent,
                seq,
                cause,
            });
        }
    }

    fn register(&mut self, seq: u64, from: Effective, b: &EntityRegistered) -> Option<String> {
        if let Some(existing) = self.entities.get(&b.entity) {
            return Some(format!(
                "entity \"{}\" is already registered (entry {})",
                b.entity, existing.registered_seq
            ));
        }
        let (parent, problem) = match &b.parent {
            Some(p) if !self.entities.contains_key(p) => (
                None,
                Some(format!(
                    "parent \"{p}\" of entity \"{}\" is not registered; \"{}\" is registered \
                     without a parent",
                    b.entity, b.entity
                )),
            ),
            other => (other.clone(), None),
        };
        let entity = Entity {
            id: b.entity.clone(),
            name: b.name.clone(),
            aliases: b.aliases.clone(),
            category: b.category,
            registered: from,
            registered_seq: seq,
            names: vec![NameSpell {
                from,
                name: b.name.clone(),
                seq,
            }],
            parents: vec![ParentSpell {
                from,
                parent,
                seq,
                cause: ParentCause::Registered,
            }],
        };
        self.entities.insert(b.entity.clone(), entity);
        problem
    }

    fn rename(&mut self, seq: u64, from: Effective, b: &EntityRenamed) -> Option<String> {
        let Some(entity) = self.entities.get_mut(&b.entity) else {
            return Some(format!("entity \"{}\" is not registered", b.entity));
        };
        if entity.name == b.name {
            return Some(format!(
                "entity \"{}\" is already named \"{}\"",
                b.entity, b.name
            ));
        }
        entity.name = b.name.clone();
        entity.names.push(NameSpell {
            from,
            name: b.name.clone(),
            seq,
        });
        None
    }

    fn acquire(&mut self, seq: u64, from: Effective, b: &Acquisition) -> Option<String> {
        let (acquirer, target) = (&b.acquirer, &b.target);
        if let Some(problem) =
            self.unregistered(&[("acquirer", Some(acquirer)), ("target", Some(target))])
        {
            return Some(problem);
        }
        if acquirer == target || self.holds(target.as_str(), acquirer.as_str()) {
            return Some(format!(
                "\"{acquirer}\" cannot acquire \"{target}\": the acquirer is the target or one \
                 of its subsidiaries, so the acquisition would make a cycle"
            ));
        }
        if self.parent(target.as_str()) == Some(acquirer) {
            return Some(format!("\"{target}\" is already owned by \"{acquirer}\""));
        }
        self.set_parent(
            target,
            from,
            Some(acquirer.clone()),
            seq,
            ParentCause::Acquired,
        );
        None
    }

    fn divest(&mut self, seq: u64, from: Effective, b: &Divestment) -> Option<String> {
        let (seller, asset, buyer) = (&b.seller, &b.asset, b.buyer.as_ref());
        if let Some(problem) = self.unregistered(&[
            ("seller", Some(seller)),
            ("asset", Some(asset)),
            ("buyer", buyer),
        ]) {
            return Some(problem);
        }
        if !self.holds(seller.as_str(), asset.as_str()) {
            return Some(format!(
                "seller \"{seller}\" does not hold \"{asset}\": it is neither its parent nor \
                 one of its ancestors"
            ));
        }
        if let Some(buyer) = buyer {
            if buyer == asset || self.holds(asset.as_str(), buyer.as_str()) {
                return Some(format!(
                    "\"{asset}\" cannot be sold to \"{buyer}\": the buyer is the asset or one of \
                     its subsidiaries, so the divestment would make a cycle"
                ));
            }
            if self.parent(asset.as_str()) == Some(buyer) {
                return Some(format!("\"{asset}\" already belongs to buyer \"{buyer}\""));
            }
        }
        self.set_parent(asset, from, buyer.cloned(), seq, ParentCause::Divested);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::quoted_list;

    #[test]
    fn lists_are_joined_with_and() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(quoted_list(&s(&[])), "");
        assert_eq!(quoted_list(&s(&["a"])), "a");
        assert_eq!(quoted_list(&s(&["a", "b"])), "a and b");
        assert_eq!(quoted_list(&s(&["a", "b", "c"])), "a, b and c");
    }
}
