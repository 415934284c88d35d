/// One character of a recognised plate with the probability the model gave it.
public struct CharacterRead: Sendable, Equatable, Codable {
    public let character: String
    /// Softmax probability of this class at the time step(s) that produced it, 0...1.
    public let confidence: Float
    /// The CTC time step where the character was emitted (its most probable step).
    public let timeStep: Int

    public init(character: String, confidence: Float, timeStep: Int) {
        self.character = character
        self.confidence = confidence
        self.timeStep = timeStep
    }
}

/// The recognizer's answer for one crop.
public struct PlateRead: Sendable, Equatable, Codable {
    public let text: String
    /// Plate confidence, 0...1.
    public let confidence: Float
    public let characters: [CharacterRead]

    public init(text: String, confidence: Float, characters: [CharacterRead]) {
        self.text = text
        self.confidence = confidence
        self.characters = characters
    }
}

/// Something that reads plate text from plate crops.
public protocol PlateRecognizer {
    /// Reads each crop (any size; the recognizer resizes to its input).
    func recognize(_ crops: [PixelImage]) throws -> [PlateRead]
}
