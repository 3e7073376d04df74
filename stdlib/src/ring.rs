//! Fixed-capacity ring buffers: the memory of every windowed indicator.
//!
//! One design choice: capacity is fixed at construction, so a window update is one store and one load — no
//! allocation, no shifting — which is what keeps every indicator O(1) per bar.

/// The last `capacity` values pushed, oldest first.
#[derive(Debug, Clone)]
pub struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    /// A ring holding up to `capacity` values (`capacity >= 1`).
    pub fn new(capacity: usize) -> Self {
        Self { buf: vec![0.0; capacity.max(1)], head: 0, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Pushes `x`; when the ring was full, returns the value that fell out of the window.
    #[inline(always)]
    pub fn push(&mut self, x: f64) -> Option<f64> {
        let cap = self.buf.len();
        if self.len == cap {
            let old = std::mem::replace(&mut self.buf[self.head], x);
            self.head += 1;
            if self.head == cap {
                self.head = 0;
            }
            Some(old)
        } else {
            let mut i = self.head + self.len;
            if i >= cap {
                i -= cap;
            }
            self.buf[i] = x;
            self.len += 1;
            None
        }
    }

    /// A full ring's storage and the index of its oldest value (the next to be replaced), for loops that push many
    /// values with the state in registers. `None` until the ring is full.
    #[inline]
    pub(crate) fn full_parts_mut(&mut self) -> Option<(&mut [f64], &mut usize)> {
        if self.len == self.buf.len() { Some((&mut self.buf, &mut self.head)) } else { None }
    }

    /// The value pushed `back` pushes ago (`0` = the newest), if still held.
    #[inline]
    pub fn get_back(&self, back: usize) -> Option<f64> {
        if back >= self.len {
            return None;
        }
        let cap = self.buf.len();
        let mut i = self.head + self.len - 1 - back;
        if i >= cap {
            i -= cap;
        }
        Some(self.buf[i])
    }

    /// Values oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(move |k| {
            let mut i = self.head + k;
            if i >= self.buf.len() {
                i -= self.buf.len();
            }
            self.buf[i]
        })
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_evicts_oldest_and_indexes_from_newest() {
        let mut r = Ring::new(3);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert_eq!(r.push(3.0), None);
        assert!(r.is_full());
        assert_eq!(r.push(4.0), Some(1.0));
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        assert_eq!(r.get_back(0), Some(4.0));
        assert_eq!(r.get_back(2), Some(2.0));
        assert_eq!(r.get_back(3), None);
    }
}
