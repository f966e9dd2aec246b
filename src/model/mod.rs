//! The A1 autoencoder: widths, the flat parameter layout shared by every engine, and a
//! reference forward pass.

pub mod init;
pub mod vae;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::data::{IMAGE_COUNT, IMAGES, Image, PIXELS};

pub use init::Initializer;

/// Widths of the three hidden layers, written `h1-h2-h3`: 4 → h1 relu → h2 linear
/// (the bottleneck) → h3 relu → 4 sigmoid. `2-1-2` is the paper's network, `5-2-5` its fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Widths {
    /// First hidden layer (relu).
    pub h1: usize,
    /// Bottleneck (linear).
    pub h2: usize,
    /// Third hidden layer (relu).
    pub h3: usize,
}

impl Widths {
    /// Largest width accepted for any hidden layer.
    pub const MAX: usize = 64;

    /// The paper's network.
    pub const PAPER: Widths = Widths { h1: 2, h2: 1, h3: 2 };

    /// Builds widths, checking each is in `1..=MAX`.
    pub fn new(h1: usize, h2: usize, h3: usize) -> Result<Self, String> {
        for (name, w) in [("h1", h1), ("h2", h2), ("h3", h3)] {
            if w == 0 || w > Self::MAX {
                return Err(format!("{name} = {w} is out of range 1..={}", Self::MAX));
            }
        }
        Ok(Widths { h1, h2, h3 })
    }

    /// Sizes of the five layers, input to output, for the 2×2 images.
    pub fn layer_sizes(&self) -> [usize; 5] {
        self.layer_sizes_for(PIXELS)
    }

    /// Sizes of the five layers, input to output, for images of `pixels` pixels (A1 at any
    /// input size).
    pub fn layer_sizes_for(&self, pixels: usize) -> [usize; 5] {
        [pixels, self.h1, self.h2, self.h3, pixels]
    }

    /// The element-wise maximum of two widths (used for union column sets).
    pub fn max(self, other: Widths) -> Widths {
        Widths { h1: self.h1.max(other.h1), h2: self.h2.max(other.h2), h3: self.h3.max(other.h3) }
    }
}

impl fmt::Display for Widths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.h1, self.h2, self.h3)
    }
}

impl FromStr for Widths {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let accepted =
            format!("widths are three hidden-layer sizes h1-h2-h3, each 1..={} (for example 2-1-2)", Self::MAX);
        let parts: Vec<&str> = s.trim().split('-').collect();
        let sizes: Option<Vec<usize>> = parts.iter().map(|p| p.parse().ok()).collect();
        match sizes.as_deref() {
            Some(&[h1, h2, h3]) => Widths::new(h1, h2, h3).map_err(|e| format!("'{s}': {e}; {accepted}")),
            _ => Err(format!("'{s}' is not valid; {accepted}")),
        }
    }
}

impl TryFrom<String> for Widths {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Widths> for String {
    fn from(w: Widths) -> String {
        w.to_string()
    }
}

/// Where one dense layer's parameters sit in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerSlot {
    /// Inputs to the layer.
    pub fan_in: usize,
    /// Outputs of the layer.
    pub fan_out: usize,
    /// Offset of the kernel, stored row-major as `[fan_in][fan_out]` (Keras's layout).
    pub weight_offset: usize,
    /// Offset of the bias `[fan_out]`.
    pub bias_offset: usize,
}

impl LayerSlot {
    /// Index of kernel entry (input `i`, output `j`).
    #[inline(always)]
    pub fn w(&self, i: usize, j: usize) -> usize {
        self.weight_offset + i * self.fan_out + j
    }
    /// Index of bias entry `j`.
    #[inline(always)]
    pub fn b(&self, j: usize) -> usize {
        self.bias_offset + j
    }
}

/// The flat parameter layout every engine, the CSV and the initialisers agree on:
/// for layers 1 to 4 in turn, the kernel `[fan_in][fan_out]` row-major, then the bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamLayout {
    /// The widths this layout is for.
    pub widths: Widths,
    /// The four dense layers.
    pub layers: [LayerSlot; 4],
    /// A2's second layer-2 head b (h1 → h2), after the four layers; `None` for A1.
    pub b_head: Option<LayerSlot>,
    /// Total number of parameters.
    pub len: usize,
}

impl ParamLayout {
    /// The layout of a network of the given widths on the 2×2 images.
    #[inline(always)]
    pub fn new(widths: Widths) -> Self {
        Self::for_pixels(PIXELS, widths)
    }

    /// The layout of a network of the given widths on images of `pixels` pixels.
    #[inline(always)]
    pub fn for_pixels(pixels: usize, widths: Widths) -> Self {
        let sizes = widths.layer_sizes_for(pixels);
        let mut offset = 0;
        let layers = std::array::from_fn(|l| {
            let (fan_in, fan_out) = (sizes[l], sizes[l + 1]);
            let slot = LayerSlot { fan_in, fan_out, weight_offset: offset, bias_offset: offset + fan_in * fan_out };
            offset += fan_in * fan_out + fan_out;
            slot
        });
        ParamLayout { widths, layers, b_head: None, len: offset }
    }

    /// A2's layout (`vae`) or A1's on images of `pixels` pixels: where every engine and the
    /// study decide between the two.
    pub fn for_model(pixels: usize, widths: Widths, vae: bool) -> Self {
        if vae { Self::vae(pixels, widths) } else { Self::for_pixels(pixels, widths) }
    }

    /// A2's layout on images of `pixels` pixels: A1's, then the b head ([`vae`]).
    pub fn vae(pixels: usize, widths: Widths) -> Self {
        let a1 = Self::for_pixels(pixels, widths);
        let head = LayerSlot {
            fan_in: widths.h1,
            fan_out: widths.h2,
            weight_offset: a1.len,
            bias_offset: a1.len + widths.h1 * widths.h2,
        };
        ParamLayout { b_head: Some(head), len: a1.len + widths.h1 * widths.h2 + widths.h2, ..a1 }
    }

    /// The dense layers in parameter order: layers 1 to 4, then A2's b head.
    pub fn slots(&self) -> impl Iterator<Item = &LayerSlot> {
        self.layers.iter().chain(&self.b_head)
    }

    /// The documented name of every parameter, in layout order: `w{layer}_{in}_{out}` and
    /// `b{layer}_{out}`, layers numbered 1 to 4 (A2's b head `2b`) and units from 0.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.len);
        let labels = ["1", "2", "3", "4", "2b"];
        for (label, slot) in labels.iter().zip(self.slots()) {
            for i in 0..slot.fan_in {
                for j in 0..slot.fan_out {
                    names.push(format!("w{label}_{i}_{j}"));
                }
            }
            for j in 0..slot.fan_out {
                names.push(format!("b{label}_{j}"));
            }
        }
        names
    }
}

/// Every intermediate value of one forward pass of one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Activations {
    /// Layer-1 pre-activations.
    pub pre1: Vec<f32>,
    /// Layer-1 activations (relu).
    pub h1: Vec<f32>,
    /// The bottleneck code (linear).
    pub code: Vec<f32>,
    /// Layer-3 pre-activations.
    pub pre3: Vec<f32>,
    /// Layer-3 activations (relu).
    pub h3: Vec<f32>,
    /// Output logits.
    pub logits: [f32; PIXELS],
    /// Output pixels (sigmoid).
    pub output: [f32; PIXELS],
}

fn dense(slot: &LayerSlot, params: &[f32], input: &[f32]) -> Vec<f32> {
    (0..slot.fan_out)
        .map(|j| {
            let mut acc = params[slot.b(j)];
            for (i, x) in input.iter().enumerate() {
                acc += x * params[slot.w(i, j)];
            }
            acc
        })
        .collect()
}

fn relu(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&x| x.max(0.0)).collect()
}

/// Logistic sigmoid in f32.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The bottleneck code and the output of one image of any size through one network, in
/// f32, by the reference forward pass ([`forward`] on the 2×2 images).
pub fn reconstruct(layout: &ParamLayout, params: &[f32], image: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (code, _) = encode(layout, params, image);
    let output = decode(layout, params, &code);
    (code, output)
}

/// The encoder of one image: the code (A2's mean head a) and, for A2, its b head.
pub fn encode(layout: &ParamLayout, params: &[f32], image: &[f32]) -> (Vec<f32>, Option<Vec<f32>>) {
    let [l1, l2, ..] = &layout.layers;
    let h1 = relu(&dense(l1, params, image));
    (dense(l2, params, &h1), layout.b_head.map(|head| dense(&head, params, &h1)))
}

/// The decoder: the output image of a bottleneck value `z`.
pub fn decode(layout: &ParamLayout, params: &[f32], z: &[f32]) -> Vec<f32> {
    let [_, _, l3, l4] = &layout.layers;
    dense(l4, params, &relu(&dense(l3, params, z))).into_iter().map(sigmoid).collect()
}

/// The reference forward pass of one image through one network, in f32.
pub fn forward(layout: &ParamLayout, params: &[f32], image: &Image) -> Activations {
    let [l1, l2, l3, l4] = &layout.layers;
    let pre1 = dense(l1, params, image);
    let h1 = relu(&pre1);
    let code = dense(l2, params, &h1);
    let pre3 = dense(l3, params, &code);
    let h3 = relu(&pre3);
    let logits: [f32; PIXELS] = dense(l4, params, &h3).try_into().expect("4 outputs");
    let output = logits.map(sigmoid);
    Activations { pre1, h1, code, pre3, h3, logits, output }
}

/// A network's behaviour on the whole data set: what the outcome classifier and the CSV need.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Bottleneck code of each image.
    pub codes: Vec<Vec<f32>>,
    /// Reconstruction of each image.
    pub outputs: [[f32; PIXELS]; IMAGE_COUNT],
    /// Mean squared error over the 16 pixel values.
    pub loss: f32,
}

/// Runs all four images through a network and computes its loss.
pub fn evaluate(layout: &ParamLayout, params: &[f32]) -> Evaluation {
    let mut codes = Vec::with_capacity(IMAGE_COUNT);
    let mut outputs = [[0.0; PIXELS]; IMAGE_COUNT];
    let mut sum = 0.0f32;
    for (k, image) in IMAGES.iter().enumerate() {
        let act = forward(layout, params, image);
        for (y, x) in act.output.iter().zip(image) {
            sum += (y - x) * (y - x);
        }
        outputs[k] = act.output;
        codes.push(act.code);
    }
    Evaluation { codes, outputs, loss: sum / (IMAGE_COUNT * PIXELS) as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_parse_and_reject() {
        assert_eq!("2-1-2".parse::<Widths>().unwrap(), Widths::PAPER);
        assert_eq!("5-2-5".parse::<Widths>().unwrap().to_string(), "5-2-5");
        for bad in ["0-1-2", "2-1", "2-1-2-2", "a-b-c", "65-1-1", "", "-1-1-1"] {
            assert!(bad.parse::<Widths>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn layout_of_paper_network() {
        let layout = ParamLayout::new(Widths::PAPER);
        // 4*2+2, 2*1+1, 1*2+2, 2*4+4
        assert_eq!(layout.len, 10 + 3 + 4 + 12);
        let names = layout.names();
        assert_eq!(names.len(), layout.len);
        assert_eq!(names[0], "w1_0_0");
        assert_eq!(names[1], "w1_0_1");
        assert_eq!(names[8], "b1_0");
        assert_eq!(names[layout.layers[3].b(3)], "b4_3");
    }

    #[test]
    fn forward_with_zero_weights_is_gray() {
        let layout = ParamLayout::new(Widths::PAPER);
        let eval = evaluate(&layout, &vec![0.0; layout.len]);
        assert!(eval.outputs.iter().flatten().all(|&y| y == 0.5));
        assert_eq!(eval.loss, 0.25);
    }
}
