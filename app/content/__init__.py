"""Course content: lessons and quizzes loaded, validated and rendered once at start-up."""

from .loader import ContentError, Problem, following, load_catalogue
from .model import BAND_NAMES, FOUR_CS, STRANDS, Catalogue, Lesson, Question, Quiz, Step

__all__ = [
    "BAND_NAMES", "FOUR_CS", "STRANDS", "Catalogue", "ContentError", "Lesson", "Problem",
    "Question", "Quiz", "Step", "following", "load_catalogue",
]
