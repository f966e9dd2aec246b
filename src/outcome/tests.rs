use super::*;

/// An evaluation whose outputs are the given per-image values and whose loss is the true
/// MSE of those outputs, as a trained network would report.
fn eval_of(outputs: [[f32; PIXELS]; IMAGE_COUNT]) -> Evaluation {
    let mut sum = 0.0f32;
    for i in 0..IMAGE_COUNT {
        for p in 0..PIXELS {
            sum += (outputs[i][p] - IMAGES[i][p]).powi(2);
        }
    }
    Evaluation { codes: vec![vec![0.0]; IMAGE_COUNT], outputs, loss: sum / 16.0 }
}

/// Outputs where the images in each block output the mean of the block's targets, with a
/// little saturation noise (0.01) so that nothing relies on exact values.
fn collapsed(blocks: &[&[usize]]) -> [[f32; PIXELS]; IMAGE_COUNT] {
    let mut out = [[0.0; PIXELS]; IMAGE_COUNT];
    for block in blocks {
        for p in 0..PIXELS {
            let mean = block.iter().map(|&i| IMAGES[i][p]).sum::<f32>() / block.len() as f32;
            let y = if mean == 0.0 {
                0.01
            } else if mean == 1.0 {
                0.99
            } else {
                mean
            };
            for &i in *block {
                out[i][p] = y;
            }
        }
    }
    out
}

fn class_of(blocks: &[&[usize]]) -> Outcome {
    classify(&eval_of(collapsed(blocks)), &Tolerances::default())
}

#[test]
fn optimal() {
    let o = class_of(&[&[0], &[1], &[2], &[3]]);
    assert_eq!(o.class, OutcomeClass::Optimal);
    assert_eq!(o.partition.to_string(), "1|2|3|4");
    assert_eq!(o.floor, 0.0);
    assert_eq!(o.gray_cells, 0);
}

#[test]
fn gray_pair_adjacent_and_opposite() {
    // Images 3 and 4 (1100, 0101) differ in two pixels: floor 2/32 = 1/16, the paper's figure.
    let o = class_of(&[&[0], &[1], &[2, 3]]);
    assert_eq!(o.class, OutcomeClass::GrayPair);
    assert_eq!(o.partition.to_string(), "1|2|34");
    assert!((o.floor - 1.0 / 16.0).abs() < 1e-12);
    assert_eq!(o.gray_cells, 4);
    // Images 1 and 3 (0011, 1100) differ everywhere: floor 4/32 = 1/8.
    let o = class_of(&[&[0, 2], &[1], &[3]]);
    assert_eq!(o.class, OutcomeClass::GrayPair);
    assert!((o.floor - 1.0 / 8.0).abs() < 1e-12);
    assert_eq!(o.gray_cells, 8);
}

#[test]
fn two_pairs_triple_all() {
    let o = class_of(&[&[0, 1], &[2, 3]]);
    assert_eq!(o.class, OutcomeClass::TwoGrayPairs);
    assert!((o.floor - 1.0 / 8.0).abs() < 1e-12);
    // Opposite pairs {13},{24} both average to 0.5 everywhere: the outputs cannot tell this
    // from all four collapsed, and the floor is the same 1/4.
    let o = class_of(&[&[0, 2], &[1, 3]]);
    assert_eq!(o.class, OutcomeClass::AllGray);
    assert!((o.floor - 1.0 / 4.0).abs() < 1e-12);
    let o = class_of(&[&[0, 1, 2], &[3]]);
    assert_eq!(o.class, OutcomeClass::GrayTriple);
    // Every pixel of 0011, 1010, 1100 has targets {two of one value, one of the other}:
    // 4 pixels · 2/3 / 16 = 1/6.
    assert!((o.floor - 1.0 / 6.0).abs() < 1e-12);
    let o = class_of(&[&[0, 1, 2, 3]]);
    assert_eq!(o.class, OutcomeClass::AllGray);
    assert!((o.floor - 0.25).abs() < 1e-12);
    assert_eq!(o.partition.to_string(), "1234");
}

#[test]
fn distinct_reconstructions_with_an_averaged_pixel() {
    // Optimal except pixel 1 is 0.5 on images 3 (target 1) and 4 (target 0).
    let mut out = collapsed(&[&[0], &[1], &[2], &[3]]);
    out[2][0] = 0.5;
    out[3][0] = 0.5;
    let o = classify(&eval_of(out), &Tolerances::default());
    assert_eq!(o.class, OutcomeClass::DistinctGrayPixels);
    assert_eq!(o.partition.kind(), PartitionType::Distinct);
    assert!((o.floor - 1.0 / 32.0).abs() < 1e-12);
    assert_eq!(o.gray_cells, 2);
}

#[test]
fn collapsed_structures_with_extra_gray_pixels() {
    let tol = Tolerances::default();
    // Pair 34 plus pixel 1 averaged across images 1 (0) and 2 (1).
    let mut out = collapsed(&[&[0], &[1], &[2, 3]]);
    out[0][0] = 0.5;
    out[1][0] = 0.5;
    assert_eq!(classify(&eval_of(out), &tol).class, OutcomeClass::GrayPairGrayPixels);
    // Pairs 12 and 34 (pixel 1: 0.5 and 0.5) with pixel 2 averaged across the pairs:
    // targets of pixel 2 are 0,0,1,1 → all four at 0.5.
    let mut out = collapsed(&[&[0, 1], &[2, 3]]);
    for o in out.iter_mut() {
        o[1] = 0.5;
    }
    assert_eq!(classify(&eval_of(out), &tol).class, OutcomeClass::TwoGrayPairsGrayPixels);
    // Triple 123 with pixel 4 (targets 1,0,0 | 1) merged over all four: mean 0.5.
    let mut out = collapsed(&[&[0, 1, 2], &[3]]);
    for o in out.iter_mut() {
        o[3] = 0.5;
    }
    assert_eq!(classify(&eval_of(out), &tol).class, OutcomeClass::GrayTripleGrayPixels);
}

#[test]
fn unconverged_and_diverged() {
    let tol = Tolerances::default();
    // Halfway between gray and correct: distinct outputs, loss far above the floor 0.
    let mut out = collapsed(&[&[0], &[1], &[2], &[3]]);
    for row in out.iter_mut() {
        for y in row.iter_mut() {
            *y = 0.5 + (*y - 0.5) * 0.5;
        }
    }
    let o = classify(&eval_of(out), &tol);
    assert_eq!(o.class, OutcomeClass::Unconverged);
    assert_eq!(o.structure, OutcomeClass::Optimal);
    assert!(!o.converged);
    // A pixel saturated at the wrong value: a plateau, but not at its structure's floor.
    let mut out = collapsed(&[&[0], &[1], &[2], &[3]]);
    out[0][0] = 0.99;
    assert_eq!(classify(&eval_of(out), &tol).class, OutcomeClass::Unconverged);
    let mut e = eval_of(collapsed(&[&[0], &[1], &[2], &[3]]));
    e.loss = f32::NAN;
    assert_eq!(classify(&e, &tol).class, OutcomeClass::Diverged);
    let mut e = eval_of(collapsed(&[&[0], &[1], &[2], &[3]]));
    e.outputs[1][2] = f32::INFINITY;
    assert_eq!(classify(&e, &tol).class, OutcomeClass::Diverged);
}

#[test]
fn every_class_has_a_distinct_name() {
    let mut names: Vec<&str> = OutcomeClass::ALL.iter().map(|c| c.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), OutcomeClass::ALL.len());
}

#[test]
fn partition_display_and_permutation() {
    let p = Partition::from_relation(|i, j| (i == 1 || i == 3) == (j == 1 || j == 3));
    assert_eq!(p.to_string(), "13|24");
    assert_eq!(p.kind(), PartitionType::TwoPairs);
    // Swap images 1 and 2: {1,3},{2,4} → {2,3},{1,4}.
    let q = p.permuted(&[1, 0, 2, 3]);
    assert_eq!(q.to_string(), "14|23");
}

#[test]
fn partitions_read_back_from_their_text() {
    for text in ["1|2|3|4", "12|3|4", "1|24|3", "13|24", "123|4", "1234", "14|2|3"] {
        let p: Partition = text.parse().unwrap();
        assert_eq!(p.to_string(), text);
    }
    for bad in ["", "1|2|3", "12|2|4", "21|3|4", "1|2|3|5", "3|4|12", "12||34", "x"] {
        assert!(bad.parse::<Partition>().is_err(), "{bad}");
    }
}

#[test]
fn classes_read_back_from_their_names() {
    for class in OutcomeClass::ALL {
        assert_eq!(OutcomeClass::from_name(class.name()), Some(class));
    }
    assert_eq!(OutcomeClass::from_name("grey-pair"), None);
}
