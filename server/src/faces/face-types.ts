/** Pixel coordinates in the decoded source image (x to the right, y down). */
export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * BlazeFace's six keypoints, named as MediaPipe names them: from the person's point of view, so on a
 * frontal face `rightEye` is the eye on the left of the image.
 */
export interface FaceLandmarks {
  rightEye: Point;
  leftEye: Point;
  noseTip: Point;
  mouthCentre: Point;
  rightEarTragion: Point;
  leftEarTragion: Point;
}

export interface FaceDetection {
  box: Box;
  /** Detection confidence, 0..1. */
  score: number;
  landmarks: FaceLandmarks;
}

/** A decoded image: packed RGB, 3 bytes a pixel, rows top to bottom. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}
